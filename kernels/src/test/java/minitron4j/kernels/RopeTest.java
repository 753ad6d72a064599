package minitron4j.kernels;

import static minitron4j.kernels.Numerics.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Rope}: HF's rotate_half pairing on the first rotary channels of every head, computed here
 * straight from the formula; the backward (sign -1) is the transpose of the forward.
 */
class RopeTest {
    private static final double THETA = 10000;

    /** tokens, heads, head_dim, rotary dim: full and partial rotary (Nemotron's 0.5), odd token and head counts. */
    private static final int[][] SHAPES = {{1, 1, 2, 2}, {3, 5, 16, 8}, {7, 3, 128, 64}, {5, 2, 12, 12}, {33, 1, 10, 4}};

    /** HF's angle: inv_freq in fp32 (1 / theta^(2j/r)), times the position, rounded to fp32. */
    private static double angle(int pos, int j, int rotary) {
        float invFreq = (float) (1.0 / Math.pow(THETA, (float) (2 * j) / rotary));
        return pos * invFreq;
    }

    @Test
    void forwardRotatesEachPairByItsAngleAndPassesTheRestThrough() {
        Random rnd = new Random(1);
        for (int[] s : SHAPES) {
            int n = s[0], heads = s[1], hd = s[2], r = s[3], half = r / 2;
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) pos[i] = rnd.nextInt(4096);
            float[] x = random(rnd, n * heads * hd, 2), y = x.clone();
            new Rope(r, THETA, 4096).apply(y, pos, n, heads, hd, 1);
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < heads; h++) {
                    int base = (i * heads + h) * hd;
                    for (int j = 0; j < half; j++) {
                        double a = angle(pos[i], j, r), c = Math.cos(a), sn = Math.sin(a);
                        double x1 = x[base + j], x2 = x[base + j + half];
                        assertEquals(x1 * c - x2 * sn, y[base + j], 1e-5, "token " + i + " head " + h + " channel " + j);
                        assertEquals(x2 * c + x1 * sn, y[base + j + half], 1e-5, "token " + i + " head " + h + " channel " + (j + half));
                    }
                    for (int j = r; j < hd; j++) assertEquals(x[base + j], y[base + j], "pass-through channel " + j);
                }
            }
        }
    }

    @Test
    void backwardIsTheTransposeOfTheForward() {
        Random rnd = new Random(2);
        for (int[] s : SHAPES) {
            int n = s[0], heads = s[1], hd = s[2], r = s[3];
            Rope rope = new Rope(r, THETA, 512);
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) pos[i] = rnd.nextInt(512);
            float[] x = random(rnd, n * heads * hd, 1), g = random(rnd, n * heads * hd, 1);
            float[] rx = x.clone(), rtg = g.clone();
            rope.apply(rx, pos, n, heads, hd, 1);
            rope.apply(rtg, pos, n, heads, hd, -1);
            // <R x, g> = <x, R^T g>: the backward maps the output's gradient to the input's.
            assertEquals(dot(rx, g), dot(x, rtg), 1e-4 * (1 + Math.abs(dot(rx, g))));
            // A rotation's transpose is its inverse.
            rope.apply(rx, pos, n, heads, hd, -1);
            for (int i = 0; i < x.length; i++) assertEquals(x[i], rx[i], 1e-5, "round trip " + i);
        }
    }

    @Test
    void positionZeroIsTheIdentity() {
        float[] x = random(new Random(3), 2 * 3 * 16, 1), y = x.clone();
        new Rope(16, THETA, 4).apply(y, new int[] {0, 0}, 2, 3, 16, 1);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 0f);
    }

    @Test
    void badArgumentsAreRefusedWithTheirValue() {
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> new Rope(7, THETA, 8));
        assertTrue(odd.getMessage().contains("7"), odd.getMessage());
        Rope rope = new Rope(4, THETA, 8);
        IllegalArgumentException far = assertThrows(IllegalArgumentException.class,
                () -> rope.apply(new float[8], new int[] {3, 8}, 2, 1, 4, 1));
        assertTrue(far.getMessage().contains("position 8") && far.getMessage().contains("max_position_embeddings"), far.getMessage());
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
