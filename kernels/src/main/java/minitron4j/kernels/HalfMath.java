package minitron4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions and dot products over 16-bit little-endian floats in a {@link MemorySegment}, the
 * weights as the checkpoint stores them; plain twins in {@link HalfMathReference}. A vector step
 * loads W 16-bit values (half a float vector's bits), widens them to W ints and turns those into
 * W floats with bit operations (the Vector API has no half-float conversion), so a dot product
 * reads each weight byte once and never writes the fp32 copy anywhere. Reductions keep independent
 * accumulators (four for bf16, two for f16) and fold them in a fixed order as {@link VectorMath#dot}
 * does, so a result depends only on the inputs and their length.
 */
public final class HalfMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** W shorts: half the bits of a float vector, so one load widens to one float vector. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int W = F.length();
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HalfMath() {}

    /** dst[dstOff+i] = the 16-bit value at src[byteOffset + 2i] as fp32, for i &lt; n. */
    public static void decode(MemorySegment src, long byteOffset, HalfFloat format, float[] dst, int dstOff, int n) {
        checkArgs("decode", src, byteOffset, format, dst, dstOff, n);
        // One method per format, for the reason given at dotF16.
        int i = format == HalfFloat.BF16 ? decodeBf16(src, byteOffset, dst, dstOff, n) : decodeF16(src, byteOffset, dst, dstOff, n);
        for (; i < n; i++) dst[dstOff + i] = format.toFloat(src.get(LE, byteOffset + 2L * i));
    }

    /** The vector part of decode; returns how many values it did. */
    private static int decodeBf16(MemorySegment src, long byteOffset, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i <= n - W; i += W) bf16(src, byteOffset + 2L * i).intoArray(dst, dstOff + i);
        return i;
    }

    private static int decodeF16(MemorySegment src, long byteOffset, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i <= n - W; i += W) f16(src, byteOffset + 2L * i).intoArray(dst, dstOff + i);
        return i;
    }

    /** sum_i x[xOff+i] * w(i) for i &lt; n, w(i) the 16-bit value at w[byteOffset + 2i]. */
    public static float dot(float[] x, int xOff, MemorySegment w, long byteOffset, HalfFloat format, int n) {
        checkArgs("dot", w, byteOffset, format, x, xOff, n);
        // One method per format: in a single one C2 runs out of nodes and stops inlining the f16
        // conversion, which then boxes every vector (ten times slower).
        return format == HalfFloat.BF16 ? dotBf16(x, xOff, w, byteOffset, n) : dotF16(x, xOff, w, byteOffset, n);
    }

    private static float dotBf16(float[] x, int xOff, MemorySegment w, long byteOffset, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 4 * W; i += 4 * W) {
            long o = byteOffset + 2L * i;
            s0 = bf16(w, o).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            s1 = bf16(w, o + 2 * W).fma(FloatVector.fromArray(F, x, xOff + i + W), s1);
            s2 = bf16(w, o + 4 * W).fma(FloatVector.fromArray(F, x, xOff + i + 2 * W), s2);
            s3 = bf16(w, o + 6 * W).fma(FloatVector.fromArray(F, x, xOff + i + 3 * W), s3);
        }
        for (; i <= n - W; i += W) s0 = bf16(w, byteOffset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), s0);
        float s = VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s = Math.fma(x[xOff + i], HalfFloat.BF16.toFloat(w.get(LE, byteOffset + 2L * i)), s);
        return s;
    }

    /**
     * out[outA] and out[outB] = the dot products of x with the rows of n values at byte offsets rowA
     * and rowB: each row summed exactly as {@link #dot} sums it (bitwise the same result), but both
     * read in one loop. The matrix-vector product gives it rows far apart, which makes two
     * independent streams through memory: on the 2-core Zen 5 test machine a core read bf16 rows at
     * 33-37 GB/s that way against 19-20 GB/s row after row (and 20-22 GB/s for adjacent rows, which
     * are one stream), as the prefetchers then keep twice the lines in flight. x is read once for
     * both rows, which also halves its loads.
     */
    static void dot2(float[] x, int xOff, MemorySegment w, long rowA, long rowB, HalfFloat format, int n,
                     float[] out, int outA, int outB) {
        checkArgs("dot2", w, rowA, format, x, xOff, n);
        checkArgs("dot2", w, rowB, format, x, xOff, n);
        if (format != HalfFloat.BF16) {
            out[outA] = dotF16(x, xOff, w, rowA, n);
            out[outB] = dotF16(x, xOff, w, rowB, n);
            return;
        }
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int i = 0;
        for (; i <= n - 4 * W; i += 4 * W) {
            long o = 2L * i;
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i), x1 = FloatVector.fromArray(F, x, xOff + i + W);
            FloatVector x2 = FloatVector.fromArray(F, x, xOff + i + 2 * W), x3 = FloatVector.fromArray(F, x, xOff + i + 3 * W);
            s0 = bf16(w, rowA + o).fma(x0, s0);
            t0 = bf16(w, rowB + o).fma(x0, t0);
            s1 = bf16(w, rowA + o + 2 * W).fma(x1, s1);
            t1 = bf16(w, rowB + o + 2 * W).fma(x1, t1);
            s2 = bf16(w, rowA + o + 4 * W).fma(x2, s2);
            t2 = bf16(w, rowB + o + 4 * W).fma(x2, t2);
            s3 = bf16(w, rowA + o + 6 * W).fma(x3, s3);
            t3 = bf16(w, rowB + o + 6 * W).fma(x3, t3);
        }
        for (; i <= n - W; i += W) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            s0 = bf16(w, rowA + 2L * i).fma(x0, s0);
            t0 = bf16(w, rowB + 2L * i).fma(x0, t0);
        }
        float s = VectorMath.sumLanes(s0.add(s1).add(s2.add(s3))), t = VectorMath.sumLanes(t0.add(t1).add(t2.add(t3)));
        for (; i < n; i++) {
            s = Math.fma(x[xOff + i], HalfFloat.BF16.toFloat(w.get(LE, rowA + 2L * i)), s);
            t = Math.fma(x[xOff + i], HalfFloat.BF16.toFloat(w.get(LE, rowB + 2L * i)), t);
        }
        out[outA] = s;
        out[outB] = t;
    }

    /**
     * As dotBf16 with two accumulators and no vector tail loop: each f16 conversion is about a dozen
     * vector operations, and with more than two of them in the method C2 stops inlining them (node
     * count cutoff) and every vector is boxed. The conversion, not the FMA latency, bounds this loop.
     */
    private static float dotF16(float[] x, int xOff, MemorySegment w, long byteOffset, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (; i <= n - 2 * W; i += 2 * W) {
            long o = byteOffset + 2L * i;
            s0 = f16(w, o).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            s1 = f16(w, o + 2 * W).fma(FloatVector.fromArray(F, x, xOff + i + W), s1);
        }
        float s = VectorMath.sumLanes(s0.add(s1));
        for (; i < n; i++) s = Math.fma(x[xOff + i], Float.float16ToFloat(w.get(LE, byteOffset + 2L * i)), s);
        return s;
    }

    /**
     * The index of the first of the n 16-bit values at byteOffset that is infinite or NaN (its
     * exponent bits all set), or -1. Vectorised: a checkpoint's weights are checked on load.
     */
    public static long firstNonFinite(MemorySegment seg, long byteOffset, HalfFloat format, long n) {
        if (n < 0) throw new IllegalArgumentException("firstNonFinite: length must be >= 0, got " + n);
        short mask = format.exponentMask();
        int lanes = S.length();
        long i = 0;
        for (; i <= n - lanes; i += lanes) {
            ShortVector v = ShortVector.fromMemorySegment(S, seg, byteOffset + 2 * i, ByteOrder.LITTLE_ENDIAN);
            VectorMask<Short> bad = v.and(mask).compare(VectorOperators.EQ, mask);
            if (bad.anyTrue()) return i + bad.firstTrue();
        }
        for (; i < n; i++) if ((seg.get(LE, byteOffset + 2 * i) & mask) == mask) return i;
        return -1;
    }

    /** W bf16 values at byte offset o: each is the top half of its fp32. */
    private static FloatVector bf16(MemorySegment seg, long o) {
        return widen(seg, o).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * W f16 values at byte offset o. The Vector API has no half-float conversion, so the bits are
     * rebuilt: the exponent is rebiased (15 to 127) by an integer add, which is exact for normals;
     * subnormals (and zeros) are m*2^-24, obtained as (2^-14 * (1 + m/1024)) - 2^-14, exact and free
     * of subnormal arithmetic (slow on some cores); infinities and NaNs get an all-ones exponent and
     * keep their payload. Agrees with Float.float16ToFloat on every pattern (NaNs up to their payload).
     */
    private static FloatVector f16(MemorySegment seg, long o) {
        IntVector h = widen(seg, o);
        IntVector mag = h.and(0x7fff), body = mag.lanewise(VectorOperators.LSHL, 13);
        IntVector normal = body.add(112 << 23);
        IntVector subnormal = body.add(113 << 23).reinterpretAsFloats().sub(0x1p-14f).reinterpretAsInts();
        VectorMask<Integer> small = mag.compare(VectorOperators.LT, 0x0400), special = mag.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = normal.blend(subnormal, small).blend(body.or(0x7f800000), special);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** W 16-bit little-endian values at byte offset o, each sign-extended to an int lane. */
    private static IntVector widen(MemorySegment seg, long o) {
        return (IntVector) ShortVector.fromMemorySegment(S, seg, o, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
    }

    static void checkArgs(String op, MemorySegment seg, long byteOffset, HalfFloat format, float[] x, int xOff, int n) {
        if (format == null) throw new IllegalArgumentException(op + ": format is null");
        if (n < 0) throw new IllegalArgumentException(op + ": length must be >= 0, got " + n);
        if (byteOffset < 0 || byteOffset + 2L * n > seg.byteSize()) {
            throw new IllegalArgumentException(op + ": " + n + " 16-bit values at byte offset " + byteOffset
                    + " need " + (byteOffset + 2L * n) + " bytes, segment has " + seg.byteSize());
        }
        if (xOff < 0 || xOff + (long) n > x.length) {
            throw new IllegalArgumentException(op + ": " + n + " floats at offset " + xOff + " do not fit an array of " + x.length);
        }
    }
}
