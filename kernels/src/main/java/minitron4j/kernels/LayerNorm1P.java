package minitron4j.kernels;

/**
 * Nemotron's LayerNorm1P: a full LayerNorm with bias whose scale is (1 + weight), statistics over
 * the last dimension, population variance: y = (x - mean) * rstd * (1 + w) + b.
 */
public final class LayerNorm1P {
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
        Parallel.forEach(chunks, c -> {
            float[] pw = partW[c], pb = partB[c];
            for (int i = c * per; i < Math.min(n, (c + 1) * per); i++) {
                int off = i * h;
                float m = mean[i], r = rstd[i];
                // dnorm = dout * (1 + w); dx = r * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat))
                float sumD = 0f, sumDX = 0f;
                for (int j = 0; j < h; j++) {
                    float xhat = (x[off + j] - m) * r;
                    float g = dout[off + j];
                    float dnorm = g * (1f + w[j]);
                    sumD += dnorm;
                    sumDX += dnorm * xhat;
                    pw[j] += g * xhat;
                    pb[j] += g;
                }
                sumD /= h;
                sumDX /= h;
                for (int j = 0; j < h; j++) {
                    float xhat = (x[off + j] - m) * r;
                    float dnorm = dout[off + j] * (1f + w[j]);
                    dx[off + j] += r * (dnorm - sumD - xhat * sumDX);
                }
            }
        });
        for (int c = 0; c < chunks; c++) {
            VectorMath.axpy(1f, partW[c], 0, dw, 0, h);
            VectorMath.axpy(1f, partB[c], 0, db, 0, h);
        }
    }
}
