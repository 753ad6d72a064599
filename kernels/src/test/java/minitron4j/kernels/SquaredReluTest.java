package minitron4j.kernels;

import static minitron4j.kernels.Numerics.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link SquaredRelu}: relu(x)^2 and its derivative 2 relu(x), across chunk boundaries and at zero. */
class SquaredReluTest {
    /** Lengths below, at and past one parallel chunk (4096), odd ones included. */
    private static final int[] LENGTHS = {1, 5, 4095, 4096, 8193, 20011};

    @Test
    void forwardIsTheSquareOfThePositivePart() {
        Random rnd = new Random(1);
        for (int n : LENGTHS) {
            float[] x = withEdgeValues(random(rnd, n, 3)), out = new float[n];
            SquaredRelu.forward(out, x, n);
            for (int i = 0; i < n; i++) {
                double r = Math.max(0, x[i]);
                assertEquals(r * r, out[i], 1e-6 * r * r, "n=" + n + " x=" + x[i]);
            }
        }
    }

    @Test
    void backwardIsTwiceThePositivePartTimesTheOutputGradient() {
        Random rnd = new Random(2);
        for (int n : LENGTHS) {
            float[] x = withEdgeValues(random(rnd, n, 3)), dout = random(rnd, n, 1), dx = new float[n];
            SquaredRelu.backward(dx, dout, x, n);
            for (int i = 0; i < n; i++) {
                // At x = 0 both one-sided derivatives of relu(x)^2 are 0, so the value is exact there too.
                assertEquals(dout[i] * 2.0 * Math.max(0, x[i]), dx[i], 1e-6 * Math.abs(dx[i]), "n=" + n + " x=" + x[i]);
            }
            // The MLP runs it in place: dx may be dout.
            float[] inPlace = dout.clone();
            SquaredRelu.backward(inPlace, inPlace, x, n);
            for (int i = 0; i < n; i++) assertEquals(dx[i], inPlace[i], 0f, "in place, n=" + n);
        }
    }

    @Test
    void backwardMatchesCentralDifferencesAwayFromTheKink() {
        float[] xs = {-2f, -1e-3f, 1e-3f, 0.5f, 3f};
        for (float x : xs) {
            double step = 1e-4, up = Math.pow(Math.max(0, x + step), 2), down = Math.pow(Math.max(0, x - step), 2);
            float[] dx = new float[1];
            SquaredRelu.backward(dx, new float[] {1f}, new float[] {x}, 1);
            assertEquals((up - down) / (2 * step), dx[0], 1e-6, "x=" + x);
        }
    }

    /** x with exact zeros, negative zeros and large values spread through it. */
    private static float[] withEdgeValues(float[] x) {
        for (int i = 0; i < x.length; i += 97) x[i] = 0f;
        for (int i = 13; i < x.length; i += 101) x[i] = -0f;
        for (int i = 29; i < x.length; i += 103) x[i] = 1e18f;
        return x;
    }
}
