package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The three matrix products of a linear layer y = x W^T (W stored [out, in], as in HF checkpoints)
 * as local-memory tiled KernelContext kernels on row-major arrays; the twins of
 * {@link minitron4j.kernels.Gemm#linear} and {@link minitron4j.kernels.Gemm#linearBackward}.
 *
 * <p>Launch: a 2D grid of {@link #TILE} x {@link #TILE} work-groups covering the output, x over
 * its columns and y over its rows, rounded up to whole tiles ({@link Launch#tiles2d}); threads
 * outside the output load zeros and store nothing, so any shape works. Each output value goes
 * through the {@link Epilogue}: stored (NaNs already there do not leak through), added into the
 * output, added to another operand (extra at extraAt, [M,N] like out), or stored with its squared
 * ReLU into extra. Each matrix starts at {@code off.get(its slot)} (see {@link Offsets}).
 */
public final class GemmKernels {
    /** Side of the square tile each work-group computes and stages through local memory. */
    public static final int TILE = 16;

    private GemmKernels() {}

    /** out[M,N] = x[M,K] . w[N,K]^T: the forward product. */
    public static void xWt(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray w, int wAt,
                           FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
        int ox = off.get(xAt), ow = off.get(wAt), oo = off.get(outAt), oe = off.get(extraAt);
        int lx = ctx.localIdx, ly = ctx.localIdy;
        int row = ctx.globalIdy, col = ctx.globalIdx;
        int colBase = col - lx;
        float[] xs = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] ws = ctx.allocateFloatLocalArray(TILE * TILE);
        float sum = 0f;
        for (int k0 = 0; k0 < k; k0 += TILE) {
            int kk = k0 + lx;
            xs[ly * TILE + lx] = row < m && kk < k ? x.get(ox + row * k + kk) : 0f;
            // ws[c][k]: row c of the W tile, so neighbouring threads read neighbouring W entries
            ws[ly * TILE + lx] = colBase + ly < n && kk < k ? w.get(ow + (colBase + ly) * k + kk) : 0f;
            ctx.localBarrier();
            for (int t = 0; t < TILE; t++) sum += xs[ly * TILE + t] * ws[lx * TILE + t];
            ctx.localBarrier();
        }
        if (row < m && col < n) Epilogue.apply(epilogue, sum, out, oo + row * n + col, extra, oe + row * n + col);
    }

    /** out[M,N] = a[M,K] . b[K,N]: the input gradient dX = dY . W. */
    public static void ab(KernelContext ctx, IntArray off, FloatArray a, int aAt, FloatArray b, int bAt,
                          FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
        int oa = off.get(aAt), ob = off.get(bAt), oo = off.get(outAt), oe = off.get(extraAt);
        int lx = ctx.localIdx, ly = ctx.localIdy;
        int row = ctx.globalIdy, col = ctx.globalIdx;
        float[] as = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bs = ctx.allocateFloatLocalArray(TILE * TILE);
        float sum = 0f;
        for (int k0 = 0; k0 < k; k0 += TILE) {
            as[ly * TILE + lx] = row < m && k0 + lx < k ? a.get(oa + row * k + k0 + lx) : 0f;
            bs[ly * TILE + lx] = k0 + ly < k && col < n ? b.get(ob + (k0 + ly) * n + col) : 0f;
            ctx.localBarrier();
            for (int t = 0; t < TILE; t++) sum += as[ly * TILE + t] * bs[t * TILE + lx];
            ctx.localBarrier();
        }
        if (row < m && col < n) Epilogue.apply(epilogue, sum, out, oo + row * n + col, extra, oe + row * n + col);
    }

    /** out[M,N] = a[K,M]^T . b[K,N]: the weight gradient dW = dY^T . X (K = tokens). */
    public static void atB(KernelContext ctx, IntArray off, FloatArray a, int aAt, FloatArray b, int bAt,
                           FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
        int oa = off.get(aAt), ob = off.get(bAt), oo = off.get(outAt), oe = off.get(extraAt);
        int lx = ctx.localIdx, ly = ctx.localIdy;
        int row = ctx.globalIdy, col = ctx.globalIdx;
        int rowBase = row - ly;
        float[] as = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] bs = ctx.allocateFloatLocalArray(TILE * TILE);
        float sum = 0f;
        for (int k0 = 0; k0 < k; k0 += TILE) {
            // as[k][r] = a[k0 + k, rowBase + r]: neighbouring threads read neighbouring columns of a
            as[ly * TILE + lx] = k0 + ly < k && rowBase + lx < m ? a.get(oa + (k0 + ly) * m + rowBase + lx) : 0f;
            bs[ly * TILE + lx] = k0 + ly < k && col < n ? b.get(ob + (k0 + ly) * n + col) : 0f;
            ctx.localBarrier();
            for (int t = 0; t < TILE; t++) sum += as[t * TILE + ly] * bs[t * TILE + lx];
            ctx.localBarrier();
        }
        if (row < m && col < n) Epilogue.apply(epilogue, sum, out, oo + row * n + col, extra, oe + row * n + col);
    }
}
