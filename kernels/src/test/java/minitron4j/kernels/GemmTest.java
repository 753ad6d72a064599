package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Gemm#sgemm} against {@link GemmReference} on shapes that reach every path and every edge. */
class GemmTest {
    private static final int[] ODD = {1, 3, 7, 17, 33, 65, 127, 129, 257};
    private static final boolean[][] TRANSPOSES = {{false, false}, {false, true}, {true, false}, {true, true}};

    /** One call's operands, stored with padded leading dimensions and leading offsets. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float beta,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {

        static Problem random(Random rnd, boolean transA, boolean transB, int m, int n, int k, float beta) {
            int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
            int lda = aCols + rnd.nextInt(3) * 5, ldb = bCols + rnd.nextInt(3) * 3, ldc = n + rnd.nextInt(3) * 7;
            int aOff = rnd.nextInt(9), bOff = rnd.nextInt(9), cOff = rnd.nextInt(9);
            return new Problem(transA, transB, m, n, k, beta,
                    fill(rnd, aOff + aRows * lda, 1f), aOff, lda, fill(rnd, bOff + bRows * ldb, 2f), bOff, ldb,
                    fill(rnd, cOff + m * ldc, 1f), cOff, ldc);
        }

        float[] fast() {
            float[] out = c.clone();
            Gemm.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }

        float[] reference() {
            float[] out = c.clone();
            GemmReference.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
            return out;
        }

        /**
         * Float sums over k drift like sqrt(k) ulps of the largest product (|a| <= 1, |b| <= 2);
         * beta*C adds an ulp of C. Elements outside the m x n window must come back untouched.
         */
        void check() {
            float[] got = fast(), want = reference();
            double tol = 4e-6 * Math.sqrt(k) * 1f * 2f + 1e-6 * Math.abs(beta) + 1e-30;
            for (int i = 0; i < got.length; i++) {
                if (Float.compare(got[i], want[i]) != 0 && !(Math.abs(got[i] - want[i]) <= tol)) {
                    throw new AssertionError(this + ": index " + i + " got " + got[i] + " want " + want[i] + " tol " + tol);
                }
            }
        }

        @Override
        public String toString() {
            return "sgemm(" + (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k
                    + " beta=" + beta + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc + ")";
        }
    }

    private static float[] fill(Random rnd, int size, float scale) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return x;
    }

    @Test
    void oddShapesAllTransposesAndBetas() {
        Random rnd = new Random(1);
        float[] betas = {0f, 1f, 0.5f};
        for (int t = 0; t < 120; t++) {
            boolean[] tr = TRANSPOSES[t % 4];
            int m = ODD[rnd.nextInt(ODD.length)], n = ODD[rnd.nextInt(ODD.length)], k = ODD[rnd.nextInt(ODD.length)];
            Problem.random(rnd, tr[0], tr[1], m, n, k, betas[t % 3]).check();
        }
    }

    @Test
    void blockEdges() {
        // Several KC blocks and partial ones, several row blocks, a split of columns, a second NC panel.
        int[][] shapes = {{300, 70, 513}, {13, 600, 257}, {2, 4100, 9}, {150, 33, 1000}, {24, 64, 256}, {1, 1, 1}};
        Random rnd = new Random(2);
        for (int[] s : shapes) {
            for (boolean[] tr : TRANSPOSES) {
                for (float beta : new float[] {0f, 1f, 0.5f}) Problem.random(rnd, tr[0], tr[1], s[0], s[1], s[2], beta).check();
            }
        }
    }

    @Test
    void vectorShapes() {
        // m == 1 and n == 1 take the matrix-vector route, the small ones the plain loops.
        int[][] shapes = {{1, 700, 300}, {700, 1, 300}, {1, 1, 40000}, {1, 5, 3}, {4, 1, 2}};
        Random rnd = new Random(3);
        for (int[] s : shapes) {
            for (boolean[] tr : TRANSPOSES) {
                for (float beta : new float[] {0f, 1f, 0.5f}) Problem.random(rnd, tr[0], tr[1], s[0], s[1], s[2], beta).check();
            }
        }
    }

    @Test
    void fewRowsAgainstAStoredWeight() {
        // NT with 2..16 rows takes the row-dot route (each row of B dotted with every row of A); 17 packs again
        int[][] shapes = {{2, 700, 300}, {3, 37, 1029}, {7, 513, 17}, {16, 129, 3072}, {16, 5, 2}, {17, 300, 129}};
        Random rnd = new Random(5);
        for (int[] s : shapes)
            for (float beta : new float[] {0f, 1f, 0.5f}) Problem.random(rnd, false, true, s[0], s[1], s[2], beta).check();
    }

    @Test
    void betaZeroOverwritesNaN() {
        Random rnd = new Random(4);
        int[][] shapes = {{65, 129, 33}, {3, 7, 5}, {1, 300, 200}, {300, 1, 200}, {17, 17, 0}};
        for (int[] s : shapes) {
            for (boolean[] tr : TRANSPOSES) {
                Problem p = Problem.random(rnd, tr[0], tr[1], s[0], s[1], s[2], 0f);
                java.util.Arrays.fill(p.c(), Float.NaN);
                float[] got = p.fast();
                for (int i = 0; i < p.m(); i++) {
                    for (int j = 0; j < p.n(); j++) {
                        float v = got[p.cOff() + i * p.ldc() + j];
                        assertTrue(Float.isFinite(v), p + " left " + v + " at [" + i + "," + j + "]");
                    }
                }
                p.check();
            }
        }
    }

    @Test
    void emptyKScalesC() {
        float[] c = {1f, 2f, 3f, 4f, 5f, 6f};
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 1, 3);
        assertArrayEquals(new float[] {1f, 1f, 1.5f, 4f, 2.5f, 3f}, c);
    }

    @Test
    void deterministicAcrossRunsAndThreadCounts() {
        Random rnd = new Random(5);
        int before = Parallel.threads();
        try {
            for (boolean[] tr : TRANSPOSES) {
                Problem p = Problem.random(rnd, tr[0], tr[1], 200, 300, 700, 1f);
                float[] first = p.fast();
                assertArrayEquals(first, p.fast(), p + " differs between two runs");
                Parallel.setThreads(1);
                float[] single = p.fast();
                Parallel.setThreads(3);
                assertArrayEquals(single, p.fast(), p + " differs between 1 and 3 threads");
                Parallel.setThreads(before);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void linearAndBackwardMatchReference() {
        Random rnd = new Random(6);
        int rows = 37, in = 45, out = 29;
        float[] x = fill(rnd, rows * in, 1f), w = fill(rnd, out * in, 1f), dout = fill(rnd, rows * out, 1f);
        float[] y = new float[rows * out], want = new float[rows * out];
        Gemm.linear(y, x, w, rows, in, out);
        GemmReference.sgemm(false, true, rows, out, in, x, 0, in, w, 0, in, 0f, want, 0, out);
        assertClose(want, y);
        float[] dx = fill(rnd, rows * in, 1f), dw = fill(rnd, out * in, 1f);
        float[] dxWant = dx.clone(), dwWant = dw.clone();
        Gemm.linearBackward(dx, dw, dout, x, w, rows, in, out);
        GemmReference.sgemm(false, false, rows, in, out, dout, 0, out, w, 0, in, 1f, dxWant, 0, in);
        GemmReference.sgemm(true, false, out, in, rows, dout, 0, out, x, 0, in, 1f, dwWant, 0, in);
        assertClose(dxWant, dx);
        assertClose(dwWant, dw);
    }

    @Test
    void rejectsOperandsThatDoNotFit() {
        float[] a = new float[12], b = new float[12], c = new float[9];
        var e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 3, 4, a, 0, 3, b, 0, 3, 0f, c, 0, 3));
        assertTrue(e.getMessage().contains("A"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 3, 4, a, 1, 4, b, 0, 3, 0f, c, 0, 3));
        assertTrue(e.getMessage().contains("needs 13 floats"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, -1, 3, 4, a, 0, 4, b, 0, 3, 0f, c, 0, 3));
    }

    private static void assertClose(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4f, "index " + i);
    }
}
