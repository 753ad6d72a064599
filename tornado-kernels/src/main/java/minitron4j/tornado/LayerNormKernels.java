package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * LayerNorm1P, y = (x - mean) * rstd * (1 + w) + b over the last dimension: the twin of
 * {@link minitron4j.kernels.LayerNorm1P}. Row statistics are reduced inside one work-group per row
 * ({@link Launch#groupPerRow}); the weight and bias gradients, sums over rows, take two tasks:
 * {@link #paramGradPartials} over fixed row chunks, then {@link #paramGradCombine}, so no kernel
 * adds up partial sums of different work-groups and the result does not depend on the device.
 * Arguments start at {@code off.get(their slot)} (see {@link Offsets}).
 */
public final class LayerNormKernels {
    /** Row chunks of the weight-gradient reduction (the partials buffers hold CHUNKS x H). */
    public static final int CHUNKS = 32;

    private LayerNormKernels() {}

    /** out[N,H], mean[N], rstd[N] from x[N,H], w[H], b[H]. One work-group per row. */
    public static void forward(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray w, int wAt,
                               FloatArray b, int bAt, FloatArray out, int outAt, FloatArray mean, FloatArray rstd,
                               int statsAt, int h, float eps) {
        int row = ctx.groupIdx, lid = ctx.localIdx;
        int ox = off.get(xAt) + row * h, ow = off.get(wAt), ob = off.get(bAt), oo = off.get(outAt) + row * h;
        int os = off.get(statsAt) + row;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        float s = 0f;
        for (int j = lid; j < h; j += Launch.GROUP) s += x.get(ox + j);
        red[lid] = s;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        float m = red[0] / h;
        ctx.localBarrier();
        float sq = 0f;
        for (int j = lid; j < h; j += Launch.GROUP) {
            float d = x.get(ox + j) - m;
            sq += d * d;
        }
        red[lid] = sq;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        float r = 1f / TornadoMath.sqrt(red[0] / h + eps);
        for (int j = lid; j < h; j += Launch.GROUP)
            out.set(oo + j, (x.get(ox + j) - m) * r * (1f + w.get(ow + j)) + b.get(ob + j));
        if (lid == 0) {
            mean.set(os, m);
            rstd.set(os, r);
        }
    }

    /**
     * dx[N,H] (+)= the input gradient, from dout[N,H] and what the forward saw (x) and saved (mean,
     * rstd): dx = rstd (dnorm - mean(dnorm) - xhat mean(dnorm xhat)), dnorm = dout (1 + w).
     * One work-group per row.
     */
    public static void backwardInput(KernelContext ctx, IntArray off, FloatArray dout, int doutAt, FloatArray x, int xAt,
                                     FloatArray mean, FloatArray rstd, int statsAt, FloatArray w, int wAt,
                                     FloatArray dx, int dxAt, int h, int accumulate) {
        int row = ctx.groupIdx, lid = ctx.localIdx;
        int og = off.get(doutAt) + row * h, ox = off.get(xAt) + row * h, ow = off.get(wAt), od = off.get(dxAt) + row * h;
        int os = off.get(statsAt) + row;
        float[] sumD = ctx.allocateFloatLocalArray(Launch.GROUP);
        float[] sumDX = ctx.allocateFloatLocalArray(Launch.GROUP);
        float m = mean.get(os), r = rstd.get(os);
        float sd = 0f, sdx = 0f;
        for (int j = lid; j < h; j += Launch.GROUP) {
            float dnorm = dout.get(og + j) * (1f + w.get(ow + j));
            sd += dnorm;
            sdx += dnorm * (x.get(ox + j) - m) * r;
        }
        sumD[lid] = sd;
        sumDX[lid] = sdx;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                sumD[lid] += sumD[lid + stride];
                sumDX[lid] += sumDX[lid + stride];
            }
        }
        ctx.localBarrier();
        float meanD = sumD[0] / h, meanDX = sumDX[0] / h;
        for (int j = lid; j < h; j += Launch.GROUP) {
            float xhat = (x.get(ox + j) - m) * r;
            float g = r * (dout.get(og + j) * (1f + w.get(ow + j)) - meanD - xhat * meanDX);
            dx.set(od + j, accumulate == 0 ? g : dx.get(od + j) + g);
        }
    }

    /**
     * First task of the weight gradients: partialW[c,H] = the sum over the rows of chunk c of
     * dout * xhat, partialB[c,H] = the sum of dout. One thread per (chunk, channel):
     * {@link Launch#threads} of CHUNKS * H.
     */
    public static void paramGradPartials(KernelContext ctx, IntArray off, FloatArray dout, int doutAt, FloatArray x, int xAt,
                                         FloatArray mean, FloatArray rstd, int statsAt,
                                         FloatArray partialW, FloatArray partialB, int n, int h) {
        int id = ctx.globalIdx;
        if (id < CHUNKS * h) {
            int og = off.get(doutAt), ox = off.get(xAt), os = off.get(statsAt);
            int c = id / h, j = id % h;
            int per = (n + CHUNKS - 1) / CHUNKS;
            int end = TornadoMath.min(n, (c + 1) * per);
            float sw = 0f, sb = 0f;
            for (int i = c * per; i < end; i++) {
                float g = dout.get(og + i * h + j);
                sw += g * (x.get(ox + i * h + j) - mean.get(os + i)) * rstd.get(os + i);
                sb += g;
            }
            partialW.set(id, sw);
            partialB.set(id, sb);
        }
    }

    /** Second task: dw[H] (+)= sum_c partialW[c,H], db[H] likewise. One thread per channel. */
    public static void paramGradCombine(KernelContext ctx, IntArray off, FloatArray partialW, FloatArray partialB,
                                        FloatArray dw, FloatArray db, int paramAt, int h, int accumulate) {
        int j = ctx.globalIdx;
        if (j < h) {
            int o = off.get(paramAt) + j;
            float sw = 0f, sb = 0f;
            for (int c = 0; c < CHUNKS; c++) {
                sw += partialW.get(c * h + j);
                sb += partialB.get(c * h + j);
            }
            dw.set(o, accumulate == 0 ? sw : dw.get(o) + sw);
            db.set(o, accumulate == 0 ? sb : db.get(o) + sb);
        }
    }
}
