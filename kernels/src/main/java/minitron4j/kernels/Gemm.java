package minitron4j.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix product, BLAS sgemm semantics on row-major arrays:
 * {@code C[m,n] = beta*C + op(A)[m,k] . op(B)[k,n]} where op(A) is A stored [m,k] (row stride lda)
 * or, with transA, A stored [k,m]; op(B) is B stored [k,n] or, with transB, B stored [n,k].
 * beta == 0 overwrites C (NaNs in C do not leak through).
 *
 * <p>The three products of a linear layer y = x W^T (W is [out,in] as in HF checkpoints):
 * forward {@code sgemm(false,true)}, dX {@code sgemm(false,false)}, dW {@code sgemm(true,false)}.
 *
 * <p>Large products take the GotoBLAS/BLIS route. For each panel of NC columns and each block of KC
 * steps of the sum, op(B) is packed into slivers of NR columns ([KC][NR], contiguous) shared by all
 * threads; each task then packs a block of at most MC_SLIVERS*MR rows of op(A) into slivers of MR rows
 * ([KC][MR]) and sweeps the micro-kernel over its tiles, row block by row block: one MR x NR tile of
 * C is held in 2*MR vector accumulators for the whole KC loop, the A sliver stays in L1 while the B
 * slivers of the task's columns stream from L2, and C is written along its rows, which the
 * prefetchers follow (sliver-major order, B in L1 and C written down its columns, was 3-8% slower
 * on the 2-core machine). A task with few column slivers reads rows of a
 * non-transposed A in place instead, since its packed block would serve too few tiles to repay
 * the transpose. Packing absorbs the transposes, strides and offsets,
 * and pads edges with zeros, so one kernel serves all four transpose combinations.
 *
 * <p>Products too small to repay packing run as plain loops; a single row or column of C (m == 1 or
 * n == 1, as in decoding) runs as dot products or axpys over the rows of the matrix, which reads
 * each element of the matrix once.
 *
 * <p>Determinism: every element of C is summed over k in the same order (KC blocks in turn, each
 * a sequential FMA chain) whatever the thread count, and each C tile is written by one task, so
 * results are bitwise reproducible, even across thread counts.
 */
public final class Gemm {
    /**
     * The widest species. On this project's Zen 5 machine a 12x2 kernel of 512-bit vectors ran at
     * about 200 GFLOP/s per core against about 100 with 256-bit ones (512-bit FMA is full width).
     */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();
    /** Rows of the micro-tile: 2*MR accumulators + 2 B vectors + 1 broadcast fit the 32 vector registers. */
    static final int MR = 12;
    /** Columns of the micro-tile: two vectors. */
    static final int NR = 2 * W;
    /**
     * Steps of k per packed block. Each block reads and writes C once more, so KC is as long as the
     * caches allow: an MR x KC sliver of A (24 KiB) stays in L1 while KC x NR slivers of B (64 KiB)
     * stream from L2; on the Zen 5 machine 512 beat 256 by about 15% and matched 768 (measured with
     * the B sliver held and the A block swept). KC fixes the summation order,
     * so it must not depend on the thread count.
     */
    static final int KC = 512;
    /** Most slivers of op(A) one task packs: MC_SLIVERS*MR x KC floats (288 KiB) stay in L2. */
    private static final int MC_SLIVERS = 12;
    /** Columns of op(B) packed at once: KC x NC floats (4 MiB), shared by the threads through L3. */
    private static final int NC = 2048;
    /** Below this many multiply-adds (m*n*k) packing costs more than it saves. */
    private static final long SMALL = 32 * 1024;
    /**
     * Chunks a thread of a matrix-vector product: a decode step runs some 200 of them back to back,
     * and with 4 a thread the caller waited for the last chunk about 7% of the time.
     */
    private static final int GEMV_CHUNKS_PER_THREAD = 16;
    /**
     * Steps of k a transposing pack copies per pass over its NR rows of B: one cache line of each row,
     * into 16 sliver rows (2 KiB) that stay in L1. Whole-sliver passes wrote kc lines per column (on
     * the 2-core machine 16 beat 64 by 2-5%, and 64 beat whole passes by 2-9% at 1024^3 and 3072 x 9216).
     */
    private static final int TRANSPOSE_STEPS = 16;
    /** Up to this many column slivers a task reads its A rows in place rather than packing them. */
    private static final int IN_PLACE_A_SLIVERS = 16;
    /** A task's share of columns is at least this many slivers, to amortise packing its A block. */
    private static final int MIN_SLIVERS_PER_TASK = 8;

    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkArgs(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            scale(m, n, beta, c, cOff, ldc);
        } else if ((long) m * n * k < SMALL) {
            small(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else if (m == 1) {
            // The row of C is x . op(B) with x the only row of op(A).
            gemv(n, k, a, aOff, transA ? lda : 1, b, bOff, transB ? 1 : ldb, transB ? ldb : 1, beta, c, cOff, 1);
        } else if (n == 1) {
            // The column of C is op(A) . x, computed as x^T . op(A)^T.
            gemv(m, k, b, bOff, transB ? 1 : ldb, a, aOff, transA ? lda : 1, transA ? 1 : lda, beta, c, cOff, ldc);
        } else if (!transA && transB && m <= FEW_ROWS) {
            rowDots(m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            new PackedProduct(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, null, beta, c, cOff, ldc).run();
        }
    }

    /** out[M,N] = x[M,K] . w[N,K]^T (a linear layer without bias). */
    public static void linear(float[] out, float[] x, float[] w, int rows, int in, int outDim) {
        sgemm(false, true, rows, outDim, in, x, 0, in, w, 0, in, 0f, out, 0, outDim);
    }

    /**
     * out[M, N] = x[M, K] . w^T where w is [N, K] as stored (fp32 or 16-bit): the forward of a linear
     * layer. fp32 weights take {@link #linear(float[], float[], float[], int, int, int)} unchanged.
     * 16-bit weights are converted as they are read: one row of x (decoding a token) runs as dot
     * products over the stored rows, so each weight byte is read once and never widened in memory;
     * small products run as plain loops; the rest take the packed route with w converted to fp32
     * while its slivers are packed, which each weight is anyway, so the micro-kernel is the fp32 one.
     */
    public static void linear(float[] out, float[] x, WeightMatrix w, int rows) {
        int n = w.rows(), k = w.cols();
        if (rows < 0) throw new IllegalArgumentException("linear: rows must be >= 0, got " + rows);
        if (x.length < (long) rows * k) {
            throw new IllegalArgumentException("linear: x [" + rows + "," + k + "] needs " + (long) rows * k
                    + " floats, array has " + x.length);
        }
        if (out.length < (long) rows * n) {
            throw new IllegalArgumentException("linear: out [" + rows + "," + n + "] needs " + (long) rows * n
                    + " floats, array has " + out.length);
        }
        switch (w) {
            case WeightMatrix.F32 f -> linear(out, x, f.data(), rows, k, n);
            case WeightMatrix.Half h -> {
                h.checkShared("linear");
                linearHalf(out, x, h, rows, n, k);
            }
        }
    }

    /** out[rows, n] = x[rows, k] . w^T for 16-bit w [n, k]; arguments checked by the caller. */
    private static void linearHalf(float[] out, float[] x, WeightMatrix.Half w, int rows, int n, int k) {
        if (rows == 0 || n == 0) return;
        if (k == 0) {
            Arrays.fill(out, 0, rows * n, 0f);
        } else if (rows == 1) {
            // A chunk's rows go in pairs half the chunk apart, two streams through memory at once (see
            // HalfMath.dot2: a pair gives each row the bits dotRow gives it). For the 4B's MLP products
            // on the 2-core test machine, interleaved in one JVM with the row-after-row loop: 1.28x
            // the bytes per second with two threads (42 against 33 GB/s), 1.45x with one.
            Parallel.forRange(n, Math.max(1, (int) (SMALL / k)), GEMV_CHUNKS_PER_THREAD, (j0, j1) -> {
                int half = (j1 - j0) / 2;
                for (int j = j0; j < j0 + half; j++)
                    HalfMath.dot2(x, 0, w.bytes(), w.offset(j, 0), w.offset(j + half, 0), w.format(), k, out, j, j + half);
                if ((j1 - j0) % 2 != 0) out[j1 - 1] = w.dotRow(j1 - 1, x, 0);
            });
        } else if (rows <= FEW_ROWS || (long) rows * n * k < SMALL) {
            // A short prompt (or a product too small to repay packing): packing would convert every
            // weight for a handful of rows of x, so each stored row is widened once into a buffer that
            // stays in L1 and dotted with every row of x. A small product is one chunk, run inline.
            Parallel.forRange(n, (int) Math.min(n, Math.max(1, SMALL / ((long) rows * k))), (j0, j1) -> {
                float[] row = new float[k];
                for (int j = j0; j < j1; j++) {
                    w.decodeRow(j, 0, k, row, 0);
                    for (int i = 0; i < rows; i++) out[i * n + j] = VectorMath.dot(x, i * k, row, 0, k);
                }
            });
        } else {
            new PackedProduct(false, true, rows, n, k, x, 0, k, null, 0, k, w, 0f, out, 0, n).run();
        }
    }

    /** Rows of x up to which weights (fp32 or 16-bit) are dotted row by row rather than packed. */
    static final int FEW_ROWS = 16;

    /** Backward of {@link #linear}: dx[M,K] += dout[M,N] . w[N,K]; dw[N,K] += dout^T . x. dx may be null. */
    public static void linearBackward(float[] dx, float[] dw, float[] dout, float[] x, float[] w,
                                      int rows, int in, int outDim) {
        if (dx != null) sgemm(false, false, rows, in, outDim, dout, 0, outDim, w, 0, in, 1f, dx, 0, in);
        sgemm(true, false, outDim, in, rows, dout, 0, outDim, x, 0, in, 1f, dw, 0, in);
    }

    private static void checkArgs(boolean transA, boolean transB, int m, int n, int k,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm: sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
        checkMatrix("A", a, aOff, lda, transA ? k : m, transA ? m : k);
        checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
        checkMatrix("C", c, cOff, ldc, m, n);
    }

    private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) {
            throw new IllegalArgumentException("sgemm: " + name + " is stored [" + rows + "," + cols
                    + "] so its leading dimension must be >= " + cols + ", got " + ld);
        }
        long end = off + (long) (rows - 1) * ld + cols;
        if (off < 0 || end > x.length) {
            throw new IllegalArgumentException("sgemm: " + name + " stored [" + rows + "," + cols + "] at offset "
                    + off + " with leading dimension " + ld + " needs " + end + " floats, array has " + x.length);
        }
    }

    /** C = beta*C, the whole product when k == 0. */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) Arrays.fill(c, row, row + n, 0f);
            else if (beta != 1f) VectorMath.scale(c, row, n, beta);
        }
    }

    /** Plain loops for products too small to repay packing. */
    private static void small(boolean transA, boolean transB, int m, int n, int k,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float beta, float[] c, int cOff, int ldc) {
        int aRow = transA ? 1 : lda, aCol = transA ? lda : 1;
        int bRow = transB ? ldb : 1, bCol = transB ? 1 : ldb;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s = Math.fma(a[aOff + i * aRow + p * aCol], b[bOff + j * bRow + p * bCol], s);
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? s : Math.fma(c[ci], beta, s);
            }
        }
    }

    /**
     * y[j] = beta*y[j] + sum_p x[p] * M(p,j) for j < n, with x[p] = x[xOff + p*xs],
     * M(p,j) = mat[mOff + p*rs + j*cs] and y[j] = y[yOff + j*ys]. One of rs, cs is 1.
     */
    private static void gemv(int n, int k, float[] x, int xOff, int xs, float[] mat, int mOff, int rs, int cs,
                             float beta, float[] y, int yOff, int ys) {
        int minChunk = Math.max(1, (int) (SMALL / k));
        if (rs == 1) {
            // Column j of M is contiguous: each output is a dot product.
            float[] xv = xs == 1 ? x : gather(x, xOff, xs, k);
            int xo = xs == 1 ? xOff : 0;
            Parallel.forRange(n, minChunk, (j0, j1) -> {
                for (int j = j0; j < j1; j++) {
                    put(y, yOff + j * ys, VectorMath.dot(xv, xo, mat, mOff + j * cs, k), beta);
                }
            });
        } else {
            // Row p of M is contiguous: accumulate x[p] * row p, in p order, into the chunk's sums.
            Parallel.forRange(n, minChunk, (j0, j1) -> {
                float[] sums = new float[j1 - j0];
                for (int p = 0; p < k; p++) VectorMath.axpy(x[xOff + p * xs], mat, mOff + p * rs + j0, sums, 0, j1 - j0);
                for (int j = j0; j < j1; j++) put(y, yOff + j * ys, sums[j - j0], beta);
            });
        }
    }

    /**
     * C = beta*C + A . B^T for a few rows of A against B stored [n, k] (a linear layer's weight: a short
     * prompt, a few sequences decoding): each row of B is read once, from memory, and dotted with
     * every row of A, which stays in L1. Packing would transpose the whole of B into panels for a
     * handful of rows (on the test machine 0.54-0.61x OpenBLAS at 4-16 rows x 3072 x 9216). Each
     * entry is one dot product, so the result does not depend on the thread count.
     */
    private static void rowDots(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        Parallel.forRange(n, Math.max(1, (int) (SMALL / ((long) m * k))), GEMV_CHUNKS_PER_THREAD, (j0, j1) -> {
            for (int j = j0; j < j1; j++)
                for (int i = 0; i < m; i++) put(c, cOff + i * ldc + j, VectorMath.dot(a, aOff + i * lda, b, bOff + j * ldb, k), beta);
        });
    }

    private static float[] gather(float[] x, int off, int stride, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = x[off + i * stride];
        return out;
    }

    /** y[i] = beta*y[i] + s, where beta == 0 ignores the old value. */
    private static void put(float[] y, int i, float s, float beta) {
        y[i] = beta == 0f ? s : Math.fma(y[i], beta, s);
    }

    /**
     * One call on the packed route: the loop nest of the class comment. Per panel of columns, B's
     * first block of k is packed, then each round computes with block t while spare tasks pack block
     * t+1 into the other buffer, so a round costs one trip through the pool.
     */
    private static final class PackedProduct {
        private final boolean transA, transB;
        private final int m, n, k, aOff, lda, bOff, ldb, cOff, ldc;
        private final float[] a, b, c;
        /** B stored as 16-bit weights [n, k] (transB), in place of b; null for fp32. */
        private final WeightMatrix.Half bHalf;
        private final float beta;
        private final int threads = Parallel.threads();
        /** Slivers of MR rows in op(A), and the row blocks they are dealt into (in sliver units). */
        private final int aSlivers, rowTasks;

        PackedProduct(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, WeightMatrix.Half bHalf, float beta, float[] c, int cOff, int ldc) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.lda = lda;
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.bHalf = bHalf;
            this.beta = beta;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            aSlivers = Math.ceilDiv(m, MR);
            // A multiple of the thread count, so that the threads run out of work together.
            int blocks = Math.ceilDiv(Math.ceilDiv(aSlivers, MC_SLIVERS), threads) * threads;
            rowTasks = Math.min(blocks, aSlivers);
        }

        void run() {
            Workspace ws = Workspace.acquire();
            try {
                for (int jc = 0; jc < n; jc += NC) panel(ws, jc, Math.min(NC, n - jc));
            } finally {
                ws.release();
            }
        }

        private void panel(Workspace ws, int jc, int nc) {
            int slivers = Math.ceilDiv(nc, NR);
            // Few row blocks (a short op(A)): cut the columns too, so that every thread has work.
            int colTasks = rowTasks >= 2 * threads ? 1
                    : Math.max(1, Math.min(Math.ceilDiv(2 * threads, rowTasks), slivers / MIN_SLIVERS_PER_TASK));
            int computeTasks = rowTasks * colTasks;
            int packTasks = Math.min(slivers, 2 * threads);
            int blocks = Math.ceilDiv(k, KC);
            float[][] packedB = ws.packedB(slivers * NR * Math.min(KC, k));
            Parallel.forRange(slivers, 4, (s0, s1) -> packB(jc, nc, 0, s0, s1, packedB[0]));
            for (int block = 0; block < blocks; block++) {
                int t = block;
                float[] current = packedB[t & 1], next = packedB[(t + 1) & 1];
                int tasks = computeTasks + (t + 1 < blocks ? packTasks : 0);
                Parallel.forEach(tasks, id -> {
                    if (id < computeTasks) {
                        compute(jc, nc, t, id % rowTasks, id / rowTasks, colTasks, current);
                    } else {
                        int chunk = id - computeTasks;
                        packB(jc, nc, t + 1, share(slivers, packTasks, chunk), share(slivers, packTasks, chunk + 1), next);
                    }
                });
            }
        }

        /**
         * Packs slivers [s0, s1) of block t of the panel of op(B) at column jc into dst: sliver s
         * holds steps x columns [jc + s*NR, +NR) at dst[s*NR*kc + p*NR + x], columns past the edge
         * as zeros. Stored B is read along its rows, which the prefetchers follow.
         */
        private void packB(int jc, int nc, int t, int s0, int s1, float[] dst) {
            int p0 = t * KC, kc = Math.min(KC, k - p0);
            if (bHalf != null) {
                // As the transB branch, each row of B decoded to fp32 first (vector code, contiguous).
                float[] row = TaskBuffers.LOCAL.get().row;
                for (int s = s0; s < s1; s++) {
                    int cols = Math.min(NR, nc - s * NR), off = s * NR * kc;
                    for (int x = 0; x < cols; x++) {
                        bHalf.decodeRow(jc + s * NR + x, p0, kc, row, 0);
                        for (int p = 0; p < kc; p++) dst[off + p * NR + x] = row[p];
                    }
                    for (int x = cols; x < NR; x++) {
                        for (int p = 0; p < kc; p++) dst[off + p * NR + x] = 0f;
                    }
                }
            } else if (transB) {
                // op(B)[p, j] = B[j, p]: a transpose, one row of B (one column of the sliver) at a time.
                for (int s = s0; s < s1; s++) {
                    int cols = Math.min(NR, nc - s * NR), off = s * NR * kc;
                    for (int pb = 0; pb < kc; pb += TRANSPOSE_STEPS) {
                        int pe = Math.min(kc, pb + TRANSPOSE_STEPS);
                        for (int x = 0; x < cols; x++) {
                            int src = bOff + (jc + s * NR + x) * ldb + p0;
                            for (int p = pb; p < pe; p++) dst[off + p * NR + x] = b[src + p];
                        }
                        for (int x = cols; x < NR; x++) {
                            for (int p = pb; p < pe; p++) dst[off + p * NR + x] = 0f;
                        }
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int row = bOff + (p0 + p) * ldb + jc;
                    for (int s = s0; s < s1; s++) {
                        int cols = Math.min(NR, nc - s * NR), d = s * NR * kc + p * NR;
                        System.arraycopy(b, row + s * NR, dst, d, cols);
                        for (int x = cols; x < NR; x++) dst[d + x] = 0f;
                    }
                }
            }
        }

        /**
         * Packs slivers [q0, q1) of op(A) (rows [q*MR, +MR)) for block t into dst: sliver q at
         * dst[(q-q0)*MR*kc + p*MR + r], rows past the edge as zeros. Stored A is read along its rows.
         */
        private void packA(int q0, int q1, int t, float[] dst) {
            int p0 = t * KC, kc = Math.min(KC, k - p0);
            if (transA) {
                // op(A)[i, p] = A[p, i]: each step's MR values are contiguous.
                for (int p = 0; p < kc; p++) {
                    int row = aOff + (p0 + p) * lda;
                    for (int q = q0; q < q1; q++) {
                        int rows = Math.min(MR, m - q * MR), d = (q - q0) * MR * kc + p * MR;
                        System.arraycopy(a, row + q * MR, dst, d, rows);
                        for (int r = rows; r < MR; r++) dst[d + r] = 0f;
                    }
                }
            } else {
                for (int q = q0; q < q1; q++) {
                    int rows = Math.min(MR, m - q * MR), off = (q - q0) * MR * kc;
                    for (int r = 0; r < rows; r++) {
                        int src = aOff + (q * MR + r) * lda + p0;
                        for (int p = 0; p < kc; p++) dst[off + p * MR + r] = a[src + p];
                    }
                    for (int r = rows; r < MR; r++) {
                        for (int p = 0; p < kc; p++) dst[off + p * MR + r] = 0f;
                    }
                }
            }
        }

        /** One row block x one share of the panel's columns, for block t of k. */
        private void compute(int jc, int nc, int t, int rowTask, int colTask, int colTasks, float[] bp) {
            int p0 = t * KC, kc = Math.min(KC, k - p0);
            // The first block of k applies beta; the later ones add to what it left.
            float blockBeta = t == 0 ? beta : 1f;
            int q0 = share(aSlivers, rowTasks, rowTask), q1 = share(aSlivers, rowTasks, rowTask + 1);
            TaskBuffers buf = TaskBuffers.LOCAL.get();
            float[] ap = buf.packedA;
            int slivers = Math.ceilDiv(nc, NR);
            int sFrom = share(slivers, colTasks, colTask), s1 = share(slivers, colTasks, colTask + 1);
            // Stored A rows are read in place when the packed block would serve few column slivers:
            // packing is a strided scalar transpose, as costly as a few slivers' products (with n =
            // 256 it was a tenth of a training step). Only a partial last sliver is packed (zero rows).
            boolean inPlace = !transA && s1 - sFrom <= IN_PLACE_A_SLIVERS;
            if (inPlace) {
                if (q1 * MR > m) packA(q1 - 1, q1, t, ap);
            } else {
                packA(q0, q1, t, ap);
            }
            for (int q = q0; q < q1; q++) {
                for (int s = sFrom; s < s1; s++) {
                    int j = jc + s * NR, cols = Math.min(NR, jc + nc - j);
                    int i = q * MR, rows = Math.min(MR, m - i), ci = cOff + i * ldc + j;
                    boolean whole = rows == MR && cols == NR;
                    float[] dst = whole ? c : buf.tile;
                    int di = whole ? ci : 0, ldd = whole ? ldc : NR, bi = s * NR * kc;
                    float dstBeta = whole ? blockBeta : 0f;
                    if (inPlace && rows == MR) kernel(kc, a, aOff + i * lda + p0, lda, 1, bp, bi, dstBeta, dst, di, ldd);
                    else kernel(kc, ap, inPlace ? 0 : (q - q0) * MR * kc, 1, MR, bp, bi, dstBeta, dst, di, ldd);
                    if (!whole) {
                        for (int r = 0; r < rows; r++) {
                            for (int x = 0; x < cols; x++) put(c, ci + r * ldc + x, buf.tile[r * NR + x], blockBeta);
                        }
                    }
                }
            }
        }
    }

    /** Start of part i when n items are dealt into parts as even as can be. */
    private static int share(int n, int parts, int i) {
        return (int) ((long) n * i / parts);
    }

    /**
     * The MR x NR tile of C at ci (row stride ldc) = beta*C + the product of MR rows of A and the B
     * sliver at bi over kc steps; beta == 0 stores without reading C. Row r's step p is read at
     * ai + r*rowStride + p*stepStride: (1, MR) for a packed sliver, (lda, 1) for rows read in place.
     * (Measured on the 2-core machine: the strides cost the packed case nothing against constant offsets.)
     */
    private static void kernel(int kc, float[] ap, int ai, int rowStride, int stepStride, float[] bp, int bi, float beta,
                               float[] c, int ci, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c0a = z, c0b = z;
        FloatVector c1a = z, c1b = z;
        FloatVector c2a = z, c2b = z;
        FloatVector c3a = z, c3b = z;
        FloatVector c4a = z, c4b = z;
        FloatVector c5a = z, c5b = z;
        FloatVector c6a = z, c6b = z;
        FloatVector c7a = z, c7b = z;
        FloatVector c8a = z, c8b = z;
        FloatVector c9a = z, c9b = z;
        FloatVector c10a = z, c10b = z;
        FloatVector c11a = z, c11b = z;
        int a0 = ai, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride, a4 = a3 + rowStride, a5 = a4 + rowStride;
        int a6 = a5 + rowStride, a7 = a6 + rowStride, a8 = a7 + rowStride, a9 = a8 + rowStride, a10 = a9 + rowStride, a11 = a10 + rowStride;
        for (int p = 0, o = 0; p < kc; p++, o += stepStride, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi);
            FloatVector b1 = FloatVector.fromArray(F, bp, bi + W);
            FloatVector x = FloatVector.broadcast(F, ap[a0 + o]); c0a = x.fma(b0, c0a); c0b = x.fma(b1, c0b);
            x = FloatVector.broadcast(F, ap[a1 + o]); c1a = x.fma(b0, c1a); c1b = x.fma(b1, c1b);
            x = FloatVector.broadcast(F, ap[a2 + o]); c2a = x.fma(b0, c2a); c2b = x.fma(b1, c2b);
            x = FloatVector.broadcast(F, ap[a3 + o]); c3a = x.fma(b0, c3a); c3b = x.fma(b1, c3b);
            x = FloatVector.broadcast(F, ap[a4 + o]); c4a = x.fma(b0, c4a); c4b = x.fma(b1, c4b);
            x = FloatVector.broadcast(F, ap[a5 + o]); c5a = x.fma(b0, c5a); c5b = x.fma(b1, c5b);
            x = FloatVector.broadcast(F, ap[a6 + o]); c6a = x.fma(b0, c6a); c6b = x.fma(b1, c6b);
            x = FloatVector.broadcast(F, ap[a7 + o]); c7a = x.fma(b0, c7a); c7b = x.fma(b1, c7b);
            x = FloatVector.broadcast(F, ap[a8 + o]); c8a = x.fma(b0, c8a); c8b = x.fma(b1, c8b);
            x = FloatVector.broadcast(F, ap[a9 + o]); c9a = x.fma(b0, c9a); c9b = x.fma(b1, c9b);
            x = FloatVector.broadcast(F, ap[a10 + o]); c10a = x.fma(b0, c10a); c10b = x.fma(b1, c10b);
            x = FloatVector.broadcast(F, ap[a11 + o]); c11a = x.fma(b0, c11a); c11b = x.fma(b1, c11b);
        }
        store(c, ci, c0a, beta); store(c, ci + W, c0b, beta);
        store(c, ci + ldc, c1a, beta); store(c, ci + ldc + W, c1b, beta);
        store(c, ci + 2 * ldc, c2a, beta); store(c, ci + 2 * ldc + W, c2b, beta);
        store(c, ci + 3 * ldc, c3a, beta); store(c, ci + 3 * ldc + W, c3b, beta);
        store(c, ci + 4 * ldc, c4a, beta); store(c, ci + 4 * ldc + W, c4b, beta);
        store(c, ci + 5 * ldc, c5a, beta); store(c, ci + 5 * ldc + W, c5b, beta);
        store(c, ci + 6 * ldc, c6a, beta); store(c, ci + 6 * ldc + W, c6b, beta);
        store(c, ci + 7 * ldc, c7a, beta); store(c, ci + 7 * ldc + W, c7b, beta);
        store(c, ci + 8 * ldc, c8a, beta); store(c, ci + 8 * ldc + W, c8b, beta);
        store(c, ci + 9 * ldc, c9a, beta); store(c, ci + 9 * ldc + W, c9b, beta);
        store(c, ci + 10 * ldc, c10a, beta); store(c, ci + 10 * ldc + W, c10b, beta);
        store(c, ci + 11 * ldc, c11a, beta); store(c, ci + 11 * ldc + W, c11b, beta);
    }

    private static void store(float[] c, int i, FloatVector sum, float beta) {
        if (beta == 0f) sum.intoArray(c, i);
        else FloatVector.fromArray(F, c, i).fma(FloatVector.broadcast(F, beta), sum).intoArray(c, i);
    }

    /**
     * The two packed blocks of op(B) of one call (one in use, one being filled), held by the calling
     * thread until the call returns. A thread that re-enters sgemm while its own call waits (a pool
     * worker helping out) takes a fresh one.
     */
    private static final class Workspace {
        private static final ThreadLocal<Workspace> LOCAL = ThreadLocal.withInitial(Workspace::new);
        private final float[][] packedB = {new float[0], new float[0]};
        private boolean busy;

        static Workspace acquire() {
            Workspace ws = LOCAL.get();
            if (ws.busy) ws = new Workspace();
            ws.busy = true;
            return ws;
        }

        void release() {
            busy = false;
        }

        float[][] packedB(int size) {
            for (int i = 0; i < 2; i++) {
                if (packedB[i].length < size) packedB[i] = new float[size];
            }
            return packedB;
        }
    }

    /** Per-thread buffers of a compute or packing task; a task never waits, so no other task can interleave. */
    private static final class TaskBuffers {
        static final ThreadLocal<TaskBuffers> LOCAL = ThreadLocal.withInitial(TaskBuffers::new);
        final float[] packedA = new float[MC_SLIVERS * MR * KC];
        final float[] tile = new float[MR * NR];
        /** One row of a 16-bit B block, decoded before it is scattered into a sliver. */
        final float[] row = new float[KC];
    }
}
