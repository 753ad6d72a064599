package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link VectorMath} against {@link VectorMathReference} on lengths around every vector boundary. */
class VectorMathTest {
    private static final int[] LENGTHS = {0, 1, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 257, 1000, 4099};

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    @Test
    void reductionsMatchReference() {
        Random rnd = new Random(1);
        for (int n : LENGTHS) {
            float[] a = random(rnd, n + 5), b = random(rnd, n + 3);
            float tol = 1e-6f * (float) Math.sqrt(n) * 4 + 1e-7f;
            assertEquals(VectorMathReference.dot(a, 5, b, 3, n), VectorMath.dot(a, 5, b, 3, n), tol, "dot n=" + n);
            assertEquals(VectorMathReference.sum(a, 2, n), VectorMath.sum(a, 2, n), tol, "sum n=" + n);
            // a sum of n positive terms: the plain sequential sum's own rounding grows with sqrt(n) times the sum
            float ssd = VectorMathReference.sumSquaredDeviation(a, 1, n, 0.3f);
            assertEquals(ssd, VectorMath.sumSquaredDeviation(a, 1, n, 0.3f), tol + 2e-6f * (float) Math.sqrt(n) * ssd,
                    "sumSquaredDeviation n=" + n);
        }
    }

    @Test
    void elementwiseMatchReference() {
        Random rnd = new Random(2);
        for (int n : LENGTHS) {
            float[] x = random(rnd, n + 4), y = random(rnd, n + 2);
            float[] yWant = y.clone();
            VectorMath.axpy(0.75f, x, 4, y, 2, n);
            VectorMathReference.axpy(0.75f, x, 4, yWant, 2, n);
            assertArrayEquals(yWant, y, 1e-6f, "axpy n=" + n);
            float[] xWant = x.clone();
            VectorMath.scale(x, 1, n, -1.5f);
            VectorMathReference.scale(xWant, 1, n, -1.5f);
            assertArrayEquals(xWant, x, 0f, "scale n=" + n);
        }
    }

    @Test
    void reductionsAreDeterministic() {
        float[] a = random(new Random(3), 1001), b = random(new Random(4), 1001);
        float first = VectorMath.dot(a, 0, b, 0, 1001);
        for (int i = 0; i < 2000; i++) assertEquals(first, VectorMath.dot(a, 0, b, 0, 1001), "call " + i);
    }

    @Test
    void firstNonFiniteMatchesReference() {
        Random rnd = new Random(5);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int n : LENGTHS) {
            for (int trial = 0; trial < 4; trial++) {
                float[] x = random(rnd, n + 3);
                int off = trial % 3;
                // none, one, or two planted at random places (the first one must win)
                for (int k = 0; k < trial % 3 && n > 0; k++) x[off + rnd.nextInt(n)] = specials[rnd.nextInt(3)];
                assertEquals(VectorMathReference.firstNonFinite(x, off, n), VectorMath.firstNonFinite(x, off, n), "n=" + n + " trial " + trial);
            }
        }
        float[] big = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 0f, -0f};
        assertEquals(-1, VectorMath.firstNonFinite(big, 0, big.length), "the largest and smallest finite values are finite");
    }

    @Test
    void maxAndExponentialsMatchReference() {
        Random rnd = new Random(6);
        for (int n : LENGTHS) {
            float[] x = random(rnd, n + 3);
            for (int i = 0; i < x.length; i++) x[i] *= 30;
            assertEquals(VectorMathReference.max(x, 3, n), VectorMath.max(x, 3, n), 0f, "max n=" + n);
            float shift = n == 0 ? 0f : VectorMath.max(x, 3, n);
            double want = VectorMathReference.sumExp(x, 3, n, 1f, shift);
            assertEquals(want, VectorMath.sumExp(x, 3, n, 1f, shift), 1e-6 * want + 1e-30, "sumExp n=" + n);
            double wantScaled = VectorMathReference.sumExp(x, 3, n, 2.5f, shift / 2.5f);
            assertEquals(wantScaled, VectorMath.sumExp(x, 3, n, 2.5f, shift / 2.5f), 1e-6 * wantScaled + 1e-30, "sumExp / 2.5 n=" + n);
            float[] got = x.clone(), ref = x.clone();
            float sum = VectorMath.expInPlace(got, 3, n, shift), refSum = VectorMathReference.expInPlace(ref, 3, n, shift);
            assertEquals(refSum, sum, 1e-6f * n + 1e-30f, "expInPlace sum n=" + n);
            for (int i = 0; i < x.length; i++) assertEquals(ref[i], got[i], 2 * Math.ulp(ref[i]), "expInPlace n=" + n + " at " + i);
        }
    }

    /** exp within 2 ulp of Math.exp over its whole range, its vector lanes equal to the scalar twin bit for bit. */
    @Test
    void exponentialIsAccurateAndLanesEqualTheScalarForm() {
        Random rnd = new Random(7);
        float[] x = new float[100_003];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 220 - 115;
        float[] edges = {0f, -0f, 1f, -1f, 88.72f, 88.7228f, 88.8f, 89f, 1e30f, -87.33f, -100f, -103.9f, -104f, -200f, 1e-8f, -1e-8f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE};
        System.arraycopy(edges, 0, x, 0, edges.length);
        float[] lanes = x.clone();
        VectorMath.expInPlace(lanes, 0, lanes.length, 0f);
        for (int i = 0; i < x.length; i++) {
            float want = (float) Math.exp(x[i]), scalar = VectorMath.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(lanes[i]), "lane vs scalar at x=" + x[i]);
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0f) {
                assertEquals(want, scalar, 0f, "exp(" + x[i] + ")");
            } else {
                // below the normal range the result is a denormal: an ulp is then absolute
                assertEquals(want, scalar, 2 * Math.ulp(want), "exp(" + x[i] + ")");
            }
        }
    }
}
