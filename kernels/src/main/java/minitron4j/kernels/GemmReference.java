package minitron4j.kernels;

/**
 * Plain triple-loop twin of {@link Gemm#sgemm}: the definition the fast kernel is tested against.
 * Accumulates in double so it is also the reference for finite-difference checks.
 */
public final class GemmReference {
    private GemmReference() {}

    /** C[m,n] = beta*C + op(A)[m,k] . op(B)[k,n]; row-major, see {@link Gemm#sgemm}. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = (float) (beta == 0f ? s : beta * c[ci] + s);
            }
        }
    }

    /** out[M, N] = x[M, K] . w^T, w [N, K] fp32 or 16-bit; see {@link Gemm#linear(float[], float[], WeightMatrix, int)}. */
    public static void linear(float[] out, float[] x, WeightMatrix w, int rows) {
        int n = w.rows(), k = w.cols();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x[i * k + p] * element(w, j, p);
                out[i * n + j] = (float) s;
            }
        }
    }

    /** Element (r, c) of w as fp32, decoded on its own. */
    private static float element(WeightMatrix w, int r, int c) {
        return switch (w) {
            case WeightMatrix.F32 f -> f.data()[r * f.cols() + c];
            case WeightMatrix.Half h -> h.get(r, c);
        };
    }
}
