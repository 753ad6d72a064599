package minitron4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Nemotron's LayerNorm1P: a full LayerNorm with bias whose scale is (1 + weight), statistics over
 * the last dimension, population variance: y = (x - mean) * rstd * (1 + w) + b.
 */
public final class LayerNorm1P {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    private LayerNorm1P() {}

    /** Row chunks for the weight-gradient reduction: fixed, so sums do not depend on the thread count. */
    private static final int GRAD_CHUNKS = 32;

    /**
     * out[N,H], mean[N], rstd[N] from x[N,H], w[H], b[H]. mean and rstd are saved for the backward
     * pass (either may be null for inference).
     */
    public static void forward(float[] out, float[] mean, float[] rstd, float[] x, float[] w, float[] b,
                               int n, int h, float eps) {
        Parallel.forRange(n, 8, (s, e) -> {
            for (int i = s; i < e; i++) {
                int off = i * h;
                float m = VectorMath.sum(x, off, h) / h;
                float v = VectorMath.sumSquaredDeviation(x, off, h, m) / h;
                float r = (float) (1.0 / Math.sqrt(v + eps));
                for (int j = 0; j < h; j++) out[off + j] = (x[off + j] - m) * r * (1f + w[j]) + b[j];
                if (mean != null) mean[i] = m;
                if (rstd != null) rstd[i] = r;
            }
        });
    }

    /**
     * dx[N,H] += backward of forward; dw[H] += sum_n dout * xhat; db[H] += sum_n dout.
     * x, mean, rstd are what the forward saw and saved.
     */
    public static void backward(float[] dx, float[] dw, float[] db, float[] dout, float[] x, float[] mean,
                                float[] rstd, float[] w, int n, int h) {
        int chunks = Math.min(GRAD_CHUNKS, n);
        int per = (n + chunks - 1) / chunks;
        float[][] partW = new float[chunks][h];
        float[][] partB = new float[chunks][h];
        float[] scale = new float[h]; // 1 + w
        for (int j = 0; j < h; j++) scale[j] = 1f + w[j];
        Parallel.forEach(chunks, c -> {
            float[] pw = partW[c], pb = partB[c];
            for (int i = c * per; i < Math.min(n, (c + 1) * per); i++) backwardRow(dx, pw, pb, dout, x, i * h, mean[i], rstd[i], scale, h);
        });
        for (int c = 0; c < chunks; c++) {
            VectorMath.axpy(1f, partW[c], 0, dw, 0, h);
            VectorMath.axpy(1f, partB[c], 0, db, 0, h);
        }
    }

    /**
     * One row: dx += r * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)) with dnorm = dout * (1 + w)
     * and xhat = (x - mean) * r; the row's dout * xhat and dout are added into pw and pb.
     */
    private static void backwardRow(float[] dx, float[] pw, float[] pb, float[] dout, float[] x, int off, float m, float r,
                                    float[] scale, int h) {
        FloatVector vm = FloatVector.broadcast(F, m), sD = FloatVector.zero(F), sDX = sD;
        int j = 0;
        for (; j <= h - W; j += W) {
            FloatVector xhat = FloatVector.fromArray(F, x, off + j).sub(vm).mul(r);
            FloatVector g = FloatVector.fromArray(F, dout, off + j);
            FloatVector dnorm = g.mul(FloatVector.fromArray(F, scale, j));
            sD = sD.add(dnorm);
            sDX = dnorm.fma(xhat, sDX);
            g.fma(xhat, FloatVector.fromArray(F, pw, j)).intoArray(pw, j);
            g.add(FloatVector.fromArray(F, pb, j)).intoArray(pb, j);
        }
        float sumD = VectorMath.sumLanes(sD), sumDX = VectorMath.sumLanes(sDX);
        for (int t = j; t < h; t++) {
            float xhat = (x[off + t] - m) * r, g = dout[off + t], dnorm = g * scale[t];
            sumD += dnorm;
            sumDX = Math.fma(dnorm, xhat, sumDX);
            pw[t] = Math.fma(g, xhat, pw[t]);
            pb[t] += g;
        }
        sumD /= h;
        sumDX /= h;
        FloatVector vD = FloatVector.broadcast(F, sumD), vDX = FloatVector.broadcast(F, sumDX);
        j = 0;
        for (; j <= h - W; j += W) {
            FloatVector xhat = FloatVector.fromArray(F, x, off + j).sub(vm).mul(r);
            FloatVector dnorm = FloatVector.fromArray(F, dout, off + j).mul(FloatVector.fromArray(F, scale, j));
            dnorm.sub(vD).sub(xhat.mul(vDX)).mul(r).add(FloatVector.fromArray(F, dx, off + j)).intoArray(dx, off + j);
        }
        for (; j < h; j++) {
            float xhat = (x[off + j] - m) * r, dnorm = dout[off + j] * scale[j];
            dx[off + j] += r * (dnorm - sumD - xhat * sumDX);
        }
    }
}
