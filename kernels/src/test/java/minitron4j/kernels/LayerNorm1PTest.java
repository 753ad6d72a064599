package minitron4j.kernels;

import static minitron4j.kernels.Numerics.derivative;
import static minitron4j.kernels.Numerics.dot;
import static minitron4j.kernels.Numerics.filled;
import static minitron4j.kernels.Numerics.random;
import static minitron4j.kernels.Numerics.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LayerNorm1P} against a double-precision LayerNorm with scale (1 + w): the forward value, the
 * saved statistics, and the backward against central differences of that reference.
 */
class LayerNorm1PTest {
    private static final float EPS = 1e-5f;
    /** rows x width: a single row, odd widths, widths past a vector, more rows than gradient chunks. */
    private static final int[][] SHAPES = {{1, 1}, {1, 7}, {3, 17}, {5, 64}, {33, 129}, {70, 31}};

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** y[i, j] = (x - mean) / sqrt(var + eps) * (1 + w[j]) + b[j], in double. */
    private static double[] reference(double[] x, double[] w, double[] b, int n, int h) {
        double[] y = new double[n * h];
        for (int i = 0; i < n; i++) {
            double mean = 0, var = 0;
            for (int j = 0; j < h; j++) mean += x[i * h + j];
            mean /= h;
            for (int j = 0; j < h; j++) var += (x[i * h + j] - mean) * (x[i * h + j] - mean);
            double rstd = 1 / Math.sqrt(var / h + EPS);
            for (int j = 0; j < h; j++) y[i * h + j] = (x[i * h + j] - mean) * rstd * (1 + w[j]) + b[j];
        }
        return y;
    }

    @Test
    void forwardMatchesTheDoubleReference() {
        Random rnd = new Random(1);
        for (int[] s : SHAPES) {
            int n = s[0], h = s[1];
            float[] x = random(rnd, n * h, 3), w = random(rnd, h, 0.5f), b = random(rnd, h, 0.5f);
            float[] out = new float[n * h], mean = new float[n], rstd = new float[n];
            LayerNorm1P.forward(out, mean, rstd, x, w, b, n, h, EPS);
            double[] want = reference(toDouble(x), toDouble(w), toDouble(b), n, h);
            for (int i = 0; i < n * h; i++) assertEquals(want[i], out[i], 2e-5 * (1 + Math.abs(want[i])), shape(s) + " out[" + i + "]");
            for (int i = 0; i < n; i++) {
                double m = 0;
                for (int j = 0; j < h; j++) m += x[i * h + j];
                assertEquals(m / h, mean[i], 1e-5, shape(s) + " mean[" + i + "]");
            }
            // Inference passes no statistics buffers and gets the same output.
            float[] again = new float[n * h];
            LayerNorm1P.forward(again, null, null, x, w, b, n, h, EPS);
            assertArrayEquals(out, again, shape(s));
        }
    }

    @Test
    void backwardMatchesCentralDifferences() {
        Random rnd = new Random(2);
        for (int[] s : SHAPES) {
            int n = s[0], h = s[1];
            float[] x = random(rnd, n * h, 2), w = random(rnd, h, 0.5f), b = random(rnd, h, 0.5f), dout = random(rnd, n * h, 1);
            float[] out = new float[n * h], mean = new float[n], rstd = new float[n];
            LayerNorm1P.forward(out, mean, rstd, x, w, b, n, h, EPS);
            // Gradients are added into what is there.
            float[] dx = filled(n * h, 0.25f), dw = filled(h, -0.5f), db = filled(h, 1f);
            LayerNorm1P.backward(dx, dw, db, dout, x, mean, rstd, w, n, h);

            double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(b), g = toDouble(dout);
            for (int i = 0; i < n * h; i++) {
                double want = 0.25 + derivative(xd, i, () -> dot(g, reference(xd, wd, bd, n, h)));
                assertEquals(want, dx[i], 2e-5 * (1 + Math.abs(want)), shape(s) + " dx[" + i + "]");
            }
            for (int j = 0; j < h; j++) {
                double wantW = -0.5 + derivative(wd, j, () -> dot(g, reference(xd, wd, bd, n, h)));
                double wantB = 1 + derivative(bd, j, () -> dot(g, reference(xd, wd, bd, n, h)));
                assertEquals(wantW, dw[j], 1e-5 * (1 + Math.abs(wantW)) * Math.sqrt(n), shape(s) + " dw[" + j + "]");
                assertEquals(wantB, db[j], 1e-5 * (1 + Math.abs(wantB)) * Math.sqrt(n), shape(s) + " db[" + j + "]");
            }
        }
    }

    @Test
    void weightGradientsDoNotDependOnTheThreadCount() {
        Random rnd = new Random(3);
        int n = 77, h = 45;
        float[] x = random(rnd, n * h, 2), w = random(rnd, h, 0.5f), b = random(rnd, h, 0.5f), dout = random(rnd, n * h, 1);
        float[][] results = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            Parallel.setThreads(threads == 1 ? 1 : 3);
            float[] out = new float[n * h], mean = new float[n], rstd = new float[n];
            LayerNorm1P.forward(out, mean, rstd, x, w, b, n, h, EPS);
            float[] dx = new float[n * h], dw = new float[h], db = new float[h];
            LayerNorm1P.backward(dx, dw, db, dout, x, mean, rstd, w, n, h);
            float[] all = new float[n * h * 2 + 2 * h];
            System.arraycopy(out, 0, all, 0, n * h);
            System.arraycopy(dx, 0, all, n * h, n * h);
            System.arraycopy(dw, 0, all, 2 * n * h, h);
            System.arraycopy(db, 0, all, 2 * n * h + h, h);
            results[threads - 1] = all;
        }
        assertArrayEquals(results[0], results[1]);
    }

    private static String shape(int[] s) {
        return "[" + s[0] + "," + s[1] + "]";
    }
}
