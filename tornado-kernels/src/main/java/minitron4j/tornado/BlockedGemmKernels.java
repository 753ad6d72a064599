package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The three products of a linear layer, {@code x W^T}, {@code dY W} and {@code dY^T X}, as
 * register-blocked KernelContext kernels: the same arguments and results as {@link GemmKernels}
 * (offsets table and slots, an {@link Epilogue}, any shape) plus the product's layout, more work
 * per thread.
 *
 * <p>Tiling. A work-group of {@link #THREADS} x {@link #THREADS} = 256 threads computes a
 * {@link #TILE} x {@link #TILE} block of the output. The shared dimension is walked in chunks of
 * {@link #DEPTH}: per chunk the group stages the 64 x 16 slice of each operand in local memory
 * (every thread loads {@link #LOADS} entries of each), then every thread multiplies out its
 * 4 x 4 (TILE / THREADS squared) outputs, held in 16 registers: per step of the chunk it reads 4
 * values of each operand from local memory and does 16 multiply-adds. The 16x16 kernels read 2
 * values per multiply-add, this 0.5: a quarter of the local-memory traffic per unit of work.
 *
 * <p>Thread (tx, ty) owns rows {@code ty + 16i} and columns {@code tx + 16j} (i, j in 0..3) of the
 * tile rather than a contiguous 4 x 4 patch: neighbouring threads then read neighbouring local
 * entries (no bank conflicts) and store neighbouring output entries (coalesced writes).
 *
 * <p>Local memory holds both operands depth-major ({@code [d][r]}, rows padded to {@link #STRIDE}
 * = 65 floats), whatever their layout in global memory. Loads are coalesced either way: where the
 * operand is stored depth-minor (x and W of {@code x W^T}, dY of {@code dY W}) neighbouring threads
 * read along the depth, otherwise along the rows; the padding keeps the transposing stores into
 * local memory free of bank conflicts.
 *
 * <p>Launch: {@link Launch#blocked2d}, a 2D grid of 16 x 16 work-groups, one per 64 x 64 output
 * tile (x over columns, y over rows). Loads outside the operands read 0 and stores outside the
 * output are skipped, so any shape works (the chunk need not divide k).
 */
public final class BlockedGemmKernels {
    /** Side of the output tile one work-group computes. */
    public static final int TILE = 64;
    /** Side of the square work-group, in threads. */
    public static final int THREADS = 16;
    /** Depth of the operand slices staged in local memory per step. */
    static final int DEPTH = 16;
    /** Entries of each operand slice one thread loads per chunk: TILE * DEPTH / THREADS^2. */
    static final int LOADS = TILE * DEPTH / (THREADS * THREADS);
    /** Padded row of the local slices: an odd stride spreads a column over all banks. */
    static final int STRIDE = TILE + 1;

    /** Layout bits: a stored [K, M] (else [M, K]); b stored [K, N] (else [N, K]). */
    public static final int A_DEPTH_MAJOR = 1, B_DEPTH_MAJOR = 2;
    /** The layouts of the three products: out = x W^T, out = dY W (dX), out = dY^T X (dW). */
    public static final int X_WT = 0, AB = B_DEPTH_MAJOR, AT_B = A_DEPTH_MAJOR | B_DEPTH_MAJOR;

    private BlockedGemmKernels() {}

    /**
     * out[r,c] = sum_d A(r,d) B(c,d) over r < M, c < N, d < K, finished by the epilogue (extra at
     * extraAt is [M,N] like out; see {@link Epilogue}), where A(r,d) = a[d*M + r] when layout has
     * {@link #A_DEPTH_MAJOR}, else a[r*K + d], and B(c,d) = b[d*N + c] when it has
     * {@link #B_DEPTH_MAJOR}, else b[c*K + d]. One kernel for the three layouts rather than one per
     * product: TornadoVM 5.2 refuses to inline a helper this large into three thin kernels. The
     * layout costs nothing at run time: TornadoVM compiles each task with its scalar arguments as
     * constants (seen in the OpenCL it prints), so every task gets a kernel of its own layout and shape.
     */
    public static void product(KernelContext ctx, IntArray off, FloatArray a, int aAt, FloatArray b, int bAt,
                               FloatArray out, int outAt, int m, int n, int k, int layout, int epilogue, FloatArray extra,
                               int extraAt) {
        int oa = off.get(aAt), ob = off.get(bAt), oo = off.get(outAt), oe = off.get(extraAt);
        int tx = ctx.localIdx, ty = ctx.localIdy;
        int thread = ty * THREADS + tx;
        int row0 = ctx.groupIdy * TILE, col0 = ctx.groupIdx * TILE;
        // the operands' strides along their rows (the output side) and along the depth
        int aDepthMajor = layout & A_DEPTH_MAJOR, bDepthMajor = (layout & B_DEPTH_MAJOR) >> 1;
        int aRow = aDepthMajor == 1 ? 1 : k, aDepth = aDepthMajor == 1 ? m : 1;
        int bRow = bDepthMajor == 1 ? 1 : k, bDepth = bDepthMajor == 1 ? n : 1;
        float[] as = ctx.allocateFloatLocalArray(DEPTH * STRIDE);
        float[] bs = ctx.allocateFloatLocalArray(DEPTH * STRIDE);
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int d0 = 0; d0 < k; d0 += DEPTH) {
            // This thread's LOADS entries of each operand's slice, stored [d][r]. Consecutive threads
            // take consecutive entries along the operand's contiguous direction in global memory: the
            // rows where it is stored depth-major, the depth otherwise. (Written out here rather than
            // in a helper: TornadoVM 5.2 addresses a local array passed to a helper as a Java array.)
            for (int p = 0; p < LOADS; p++) {
                int e = thread + p * THREADS * THREADS;
                int ar = aDepthMajor == 1 ? e % TILE : e / DEPTH, ad = aDepthMajor == 1 ? e / TILE : e % DEPTH;
                int br = bDepthMajor == 1 ? e % TILE : e / DEPTH, bd = bDepthMajor == 1 ? e / TILE : e % DEPTH;
                int gr = row0 + ar, gad = d0 + ad, gc = col0 + br, gbd = d0 + bd;
                as[ad * STRIDE + ar] = gr < m && gad < k ? a.get(oa + gr * aRow + gad * aDepth) : 0f;
                bs[bd * STRIDE + br] = gc < n && gbd < k ? b.get(ob + gc * bRow + gbd * bDepth) : 0f;
            }
            ctx.localBarrier();
            for (int d = 0; d < DEPTH; d++) {
                int ai = d * STRIDE + ty, bi = d * STRIDE + tx;
                float a0 = as[ai], a1 = as[ai + THREADS], a2 = as[ai + 2 * THREADS], a3 = as[ai + 3 * THREADS];
                float b0 = bs[bi], b1 = bs[bi + THREADS], b2 = bs[bi + 2 * THREADS], b3 = bs[bi + 3 * THREADS];
                c00 += a0 * b0;
                c01 += a0 * b1;
                c02 += a0 * b2;
                c03 += a0 * b3;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c12 += a1 * b2;
                c13 += a1 * b3;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c22 += a2 * b2;
                c23 += a2 * b3;
                c30 += a3 * b0;
                c31 += a3 * b1;
                c32 += a3 * b2;
                c33 += a3 * b3;
            }
            ctx.localBarrier();
        }
        // one store per register, written out: TornadoVM 5.2 refuses to inline a helper that stores a
        // row of four through the epilogue (its node count passes the inliner's limit of 600)
        int r = row0 + ty, c = col0 + tx, t = THREADS;
        store(out, oo, extra, oe, r, c, m, n, epilogue, c00);
        store(out, oo, extra, oe, r, c + t, m, n, epilogue, c01);
        store(out, oo, extra, oe, r, c + 2 * t, m, n, epilogue, c02);
        store(out, oo, extra, oe, r, c + 3 * t, m, n, epilogue, c03);
        store(out, oo, extra, oe, r + t, c, m, n, epilogue, c10);
        store(out, oo, extra, oe, r + t, c + t, m, n, epilogue, c11);
        store(out, oo, extra, oe, r + t, c + 2 * t, m, n, epilogue, c12);
        store(out, oo, extra, oe, r + t, c + 3 * t, m, n, epilogue, c13);
        store(out, oo, extra, oe, r + 2 * t, c, m, n, epilogue, c20);
        store(out, oo, extra, oe, r + 2 * t, c + t, m, n, epilogue, c21);
        store(out, oo, extra, oe, r + 2 * t, c + 2 * t, m, n, epilogue, c22);
        store(out, oo, extra, oe, r + 2 * t, c + 3 * t, m, n, epilogue, c23);
        store(out, oo, extra, oe, r + 3 * t, c, m, n, epilogue, c30);
        store(out, oo, extra, oe, r + 3 * t, c + t, m, n, epilogue, c31);
        store(out, oo, extra, oe, r + 3 * t, c + 2 * t, m, n, epilogue, c32);
        store(out, oo, extra, oe, r + 3 * t, c + 3 * t, m, n, epilogue, c33);
    }

    /** One output entry through the epilogue, skipped outside [M,N]. */
    private static void store(FloatArray out, int oo, FloatArray extra, int oe, int row, int col, int m, int n, int epilogue,
                              float value) {
        if (row < m && col < n) {
            int at = row * n + col;
            Epilogue.apply(epilogue, value, out, oo + at, extra, oe + at);
        }
    }
}
