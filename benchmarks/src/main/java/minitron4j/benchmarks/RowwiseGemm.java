package minitron4j.benchmarks;

import minitron4j.kernels.Parallel;
import minitron4j.kernels.VectorMath;

/**
 * The product written the obvious way with the Vector API, rows of C over the pool: a dot per
 * element for NT, an axpy per step of k for NN and TN. No packing or cache blocking; the baseline
 * that {@link GemmBench} measures {@code Gemm.sgemm} against. Overwrites C (beta = 0).
 */
final class RowwiseGemm {
    private RowwiseGemm() {}

    static void multiply(GemmShape s, float[] a, float[] b, float[] c) {
        int n = s.n(), k = s.k(), lda = s.lda(), ldb = s.ldb();
        Parallel.forRange(s.m(), 1, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int row = i * n;
                if (s.transB()) {
                    for (int j = 0; j < n; j++) c[row + j] = VectorMath.dot(a, i * lda, b, j * ldb, k);
                } else {
                    java.util.Arrays.fill(c, row, row + n, 0f);
                    for (int p = 0; p < k; p++) {
                        float aip = s.transA() ? a[p * lda + i] : a[i * lda + p];
                        VectorMath.axpy(aip, b, p * ldb, c, row, n);
                    }
                }
            }
        });
    }
}
