package minitron4j.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
    /** Half a float vector's lanes as doubles: a vector of exps is summed as two double vectors. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

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
        FloatVector m = FloatVector.broadcast(F, mean), s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (; i <= n - 2 * W; i += 2 * W) {
            FloatVector d0 = FloatVector.fromArray(F, x, off + i).sub(m), d1 = FloatVector.fromArray(F, x, off + i + W).sub(m);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        for (; i <= n - W; i += W) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(m);
            s0 = d.fma(d, s0);
        }
        float s = sumLanes(s0.add(s1));
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** max_i x[off+i], NEGATIVE_INFINITY for n == 0 (NaN if any entry is NaN, as Math.max). */
    public static float max(float[] x, int off, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - W; i += W) m = m.max(FloatVector.fromArray(F, x, off + i));
        float s = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < W; l++) s = Math.max(s, m.lane(l));
        for (; i < n; i++) s = Math.max(s, x[off + i]);
        return s;
    }

    /**
     * sum_i exp(x[off+i] / divisor - shift), summed in double (the log-sum-exp of a loss keeps the
     * precision of a double sum over a 256k vocabulary) in a fixed order.
     */
    public static double sumExp(float[] x, int off, int n, float divisor, float shift) {
        FloatVector sh = FloatVector.broadcast(F, shift);
        DoubleVector s0 = DoubleVector.zero(D), s1 = s0;
        int i = 0;
        for (; i <= n - W; i += W) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            if (divisor != 1f) v = v.div(divisor);
            FloatVector e = exp(v.sub(sh));
            s0 = s0.add(e.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(e.convertShape(VectorOperators.F2D, D, 1));
        }
        DoubleVector both = s0.add(s1);
        double s = 0;
        for (int l = 0; l < D.length(); l++) s += both.lane(l);
        for (; i < n; i++) s += exp(x[off + i] / divisor - shift);
        return s;
    }

    /** x[off+i] = exp(x[off+i] - shift); returns their sum (a softmax's numerators and denominator). */
    public static float expInPlace(float[] x, int off, int n, float shift) {
        FloatVector sh = FloatVector.broadcast(F, shift), s0 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - W; i += W) {
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(sh));
            e.intoArray(x, off + i);
            s0 = s0.add(e);
        }
        float s = sumLanes(s0);
        for (; i < n; i++) {
            float e = exp(x[off + i] - shift);
            x[off + i] = e;
            s += e;
        }
        return s;
    }

    // exp: x = n ln2 + r with |r| <= ln2/2, exp(r) by Cephes' expf polynomial (about 1 ulp), times 2^n
    // built in two halves so that n from -150 to 128 (denormal results and the overflow to infinity)
    // needs no special case. The vector and scalar forms run the same IEEE operations (fma, add,
    // mul, bit moves), so a lane and the scalar tail give the same bits, compiled or interpreted;
    // the Vector API's own EXP is an SVML call when compiled but Math.exp when interpreted, which
    // would make results depend on the JIT's warm-up.
    private static final float EXP_LO = -104f, EXP_HI = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x per lane, within 2 ulp of Math.exp (0 below -104, infinity above 88.72, NaN stays NaN). */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector nf = t.sub(ROUND);
        FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = nf.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(F, P2)).fma(r, FloatVector.broadcast(F, P3))
                .fma(r, FloatVector.broadcast(F, P4)).fma(r, FloatVector.broadcast(F, P5));
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector n = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector half = n.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations, so the same bits. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(x, LOG2E, ROUND);
        float nf = t - ROUND;
        float r = Math.fma(nf, -LN2_HI, x);
        r = Math.fma(nf, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        p = p * (r * r) + r + 1f;
        int n = Float.floatToRawIntBits(t) - ROUND_BITS;
        int half = n >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((n - half + 127) << 23);
    }
}
