package minitron4j.kernels;

/**
 * Single-precision matrix product, BLAS sgemm semantics on row-major arrays:
 * {@code C[m,n] = beta*C + op(A)[m,k] . op(B)[k,n]} where op(A) is A stored [m,k] (row stride lda)
 * or, with transA, A stored [k,m]; op(B) is B stored [k,n] or, with transB, B stored [n,k].
 * beta == 0 overwrites C (NaNs in C do not leak through).
 *
 * <p>The three products of a linear layer y = x W^T (W is [out,in] as in HF checkpoints):
 * forward {@code sgemm(false,true)}, dX {@code sgemm(false,false)}, dW {@code sgemm(true,false)}.
 */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        // Placeholder route until the packed Vector API kernel lands: rows in parallel.
        Parallel.forRange(m, 1, (r0, r1) -> GemmReference.sgemm(transA, transB, r1 - r0, n, k,
                a, transA ? aOff + r0 : aOff + r0 * lda, lda, b, bOff, ldb, beta, c, cOff + r0 * ldc, ldc));
    }

    /** out[M,N] = x[M,K] . w[N,K]^T (a linear layer without bias). */
    public static void linear(float[] out, float[] x, float[] w, int rows, int in, int outDim) {
        sgemm(false, true, rows, outDim, in, x, 0, in, w, 0, in, 0f, out, 0, outDim);
    }

    /** Backward of {@link #linear}: dx[M,K] += dout[M,N] . w[N,K]; dw[N,K] += dout^T . x. dx may be null. */
    public static void linearBackward(float[] dx, float[] dw, float[] dout, float[] x, float[] w,
                                      int rows, int in, int outDim) {
        if (dx != null) sgemm(false, false, rows, in, outDim, dout, 0, outDim, w, 0, in, 1f, dx, 0, in);
        sgemm(true, false, outDim, in, rows, dout, 0, outDim, x, 0, in, 1f, dw, 0, in);
    }
}
