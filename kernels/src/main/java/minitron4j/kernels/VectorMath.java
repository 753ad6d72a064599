package minitron4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense helpers the ops are built from (dot products, axpy, sums). Each has a plain twin in
 * {@link VectorMathReference} used by the tests. Reductions keep four vector accumulators, enough
 * independent FMA chains to hide the FMA latency, then fold them in a fixed order and finish the
 * tail in scalar code, so a result depends only on the inputs and their length.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    private VectorMath() {}

    /** The index (from off) of the first of x[off, off+n) that is infinite or NaN, or -1. */
    public static int firstNonFinite(float[] x, int off, int n) {
        int i = 0;
        for (; i <= n - W; i += W) {
            // x - x is 0 for every finite x and NaN for infinities and NaNs.
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            VectorMask<Float> bad = v.sub(v).test(VectorOperators.IS_NAN);
            if (bad.anyTrue()) return i + bad.firstTrue();
        }
        for (; i < n; i++) if (!Float.isFinite(x[off + i])) return i;
        return -1;
    }

    /** sum_i a[aOff+i] * b[bOff+i] for i &lt; n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 4 * W; i += 4 * W) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + W).fma(FloatVector.fromArray(F, b, bOff + i + W), s1);
            s2 = FloatVector.fromArray(F, a, aOff + i + 2 * W).fma(FloatVector.fromArray(F, b, bOff + i + 2 * W), s2);
            s3 = FloatVector.fromArray(F, a, aOff + i + 3 * W).fma(FloatVector.fromArray(F, b, bOff + i + 3 * W), s3);
        }
        for (; i <= n - W; i += W) s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    /** y[yOff+i] += alpha * x[xOff+i] for i &lt; n. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i <= n - W; i += W) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
    }

    /** sum_i x[off+i]. */
    public static float sum(float[] x, int off, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 4 * W; i += 4 * W) {
            s0 = s0.add(FloatVector.fromArray(F, x, off + i));
            s1 = s1.add(FloatVector.fromArray(F, x, off + i + W));
            s2 = s2.add(FloatVector.fromArray(F, x, off + i + 2 * W));
            s3 = s3.add(FloatVector.fromArray(F, x, off + i + 3 * W));
        }
        for (; i <= n - W; i += W) s0 = s0.add(FloatVector.fromArray(F, x, off + i));
        float s = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    /**
     * The lanes of v added in index order. reduceLanes(ADD) leaves the order open, and compiled code
     * and the interpreter do not use the same one, so a result could change as the JIT warms up.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int l = 0; l < W; l++) s += v.lane(l);
        return s;
    }

    /** x[off+i] *= alpha. */
    public static void scale(float[] x, int off, int n, float alpha) {
        int i = 0;
        for (; i <= n - W; i += W) FloatVector.fromArray(F, x, off + i).mul(alpha).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= alpha;
    }

    /** sum_i (x[off+i] - mean)^2: the variance numerator, two-pass for accuracy. */
    public static float sumSquaredDeviation(float[] x, int off, int n, float mean) {
        return VectorMathReference.sumSquaredDeviation(x, off, n, mean);
    }
}
