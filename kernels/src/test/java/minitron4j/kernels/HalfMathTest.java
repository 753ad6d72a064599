package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link HalfMath} against {@link HalfMathReference}, and the scalar {@link HalfFloat} conversions. */
class HalfMathTest {
    private static final int[] LENGTHS = {0, 1, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 257, 1000, 4099};
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** n 16-bit values at byteOffset in a segment of byteOffset + 2n + 3 bytes (odd offsets are unaligned). */
    static MemorySegment halves(Arena arena, long byteOffset, short[] values) {
        MemorySegment seg = arena.allocate(byteOffset + 2L * values.length + 3);
        for (int i = 0; i < values.length; i++) seg.set(LE, byteOffset + 2L * i, values[i]);
        return seg;
    }

    /** Random values in (-scale, scale), rounded to the format. */
    static short[] random(Random rnd, HalfFloat format, int n, float scale) {
        short[] x = new short[n];
        for (int i = 0; i < n; i++) x[i] = format.fromFloat((rnd.nextFloat() * 2 - 1) * scale);
        return x;
    }

    /** Equal bits, or both NaN (the f16 intrinsic may quiet a signalling NaN, the bit arithmetic does not). */
    private static void assertSameFloat(float want, float got, String what) {
        if (Float.isNaN(want) && Float.isNaN(got)) return;
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + ": want " + want + " got " + got);
    }

    @Test
    void decodeMatchesReferenceAtAnyLengthAndOffset() {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofConfined()) {
            for (HalfFloat format : HalfFloat.values()) {
                for (int n : LENGTHS) {
                    for (long byteOffset : new long[] {0, 1, 2, 7, 64}) {
                        short[] bits = new short[n];
                        for (int i = 0; i < n; i++) bits[i] = (short) rnd.nextInt(); // every pattern, NaNs included
                        MemorySegment seg = halves(arena, byteOffset, bits);
                        float[] got = new float[n + 5], want = new float[n + 5];
                        HalfMath.decode(seg, byteOffset, format, got, 5, n);
                        HalfMathReference.decode(seg, byteOffset, format, want, 5, n);
                        for (int i = 0; i < n + 5; i++) assertSameFloat(want[i], got[i], format + " n=" + n + " offset=" + byteOffset + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void everyPatternDecodesExactly() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = halves(arena, 0, all);
            for (HalfFloat format : HalfFloat.values()) {
                float[] got = new float[all.length];
                HalfMath.decode(seg, 0, format, got, 0, all.length);
                for (int i = 0; i < all.length; i++) {
                    float want = format == HalfFloat.BF16 ? Float.intBitsToFloat(i << 16) : Float.float16ToFloat((short) i);
                    assertSameFloat(want, got[i], format + " pattern 0x" + Integer.toHexString(i));
                    assertSameFloat(want, format.toFloat((short) i), format + " toFloat 0x" + Integer.toHexString(i));
                }
            }
        }
    }

    @Test
    void specialValues() {
        HalfFloat b = HalfFloat.BF16, h = HalfFloat.F16;
        assertEquals(1f, b.toFloat((short) 0x3f80));
        assertEquals(Float.POSITIVE_INFINITY, b.toFloat((short) 0x7f80));
        assertEquals(Float.NEGATIVE_INFINITY, b.toFloat((short) 0xff80));
        assertTrue(Float.isNaN(b.toFloat((short) 0x7fc0)));
        assertEquals(0x80000000, Float.floatToRawIntBits(b.toFloat((short) 0x8000)), "-0");
        assertEquals(Float.intBitsToFloat(0x00010000), b.toFloat((short) 0x0001), "smallest bf16 subnormal");
        assertEquals(1f, h.toFloat((short) 0x3c00));
        assertEquals(65504f, h.toFloat((short) 0x7bff));
        assertEquals(0x1p-24f, h.toFloat((short) 0x0001), "smallest f16 subnormal");
        assertEquals(1023 * 0x1p-24f, h.toFloat((short) 0x03ff), "largest f16 subnormal");
        assertEquals(-0x1p-14f, h.toFloat((short) 0x8400), "smallest negative normal");
        assertEquals(Float.POSITIVE_INFINITY, h.toFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, h.toFloat((short) 0xfc00));
        assertTrue(Float.isNaN(h.toFloat((short) 0x7e00)));
        assertEquals(0x80000000, Float.floatToRawIntBits(h.toFloat((short) 0x8000)), "-0");
    }

    @Test
    void bf16RoundsToNearestEven() {
        HalfFloat b = HalfFloat.BF16;
        assertEquals((short) 0x3f80, b.fromFloat(Float.intBitsToFloat(0x3f808000)), "tie to even, down");
        assertEquals((short) 0x3f82, b.fromFloat(Float.intBitsToFloat(0x3f818000)), "tie to even, up");
        assertEquals((short) 0x3f81, b.fromFloat(Float.intBitsToFloat(0x3f808001)), "above the tie");
        assertEquals((short) 0x3f80, b.fromFloat(Float.intBitsToFloat(0x3f807fff)), "below the tie");
        assertEquals((short) 0xbf82, b.fromFloat(Float.intBitsToFloat(0xbf818000)), "negative tie");
        assertEquals((short) 0x7f80, b.fromFloat(Float.MAX_VALUE), "overflow to infinity");
        assertEquals((short) 0x8000, b.fromFloat(-0f));
        assertEquals((short) 0x0001, b.fromFloat(Float.intBitsToFloat(0x00008001)), "subnormal rounds up");
        // A NaN with its payload in the dropped half stays NaN.
        assertTrue(Float.isNaN(b.toFloat(b.fromFloat(Float.intBitsToFloat(0x7f800001)))));
        assertTrue(Float.isNaN(b.toFloat(b.fromFloat(Float.NaN))));
        // Random floats: the nearer of the two neighbours, ties to the even one.
        Random rnd = new Random(2);
        for (int t = 0; t < 100_000; t++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isFinite(f)) continue;
            int lo = Float.floatToRawIntBits(f) >>> 16;
            // Past the largest finite value the upper neighbour is infinity, which IEEE rounding treats as 2^128.
            double hi = ((lo + 1) & 0x7fff) == 0x7f80 ? Math.copySign(0x1p128, f) : b.toFloat((short) (lo + 1));
            double dLo = Math.abs((double) f - b.toFloat((short) lo)), dHi = Math.abs(f - hi);
            int want = dLo < dHi || (dLo == dHi && (lo & 1) == 0) ? lo : lo + 1;
            assertEquals((short) want, b.fromFloat(f), "bits 0x" + Integer.toHexString(Float.floatToRawIntBits(f)));
        }
        assertEquals((short) 0x3c00, HalfFloat.F16.fromFloat(1f + 0x1p-11f), "f16 tie to even");
    }

    @Test
    void everyPatternRoundTrips() {
        for (HalfFloat format : HalfFloat.values()) {
            for (int i = 0; i < 65536; i++) {
                float f = format.toFloat((short) i);
                if (Float.isNaN(f)) assertTrue(Float.isNaN(format.toFloat(format.fromFloat(f))), format + " NaN 0x" + Integer.toHexString(i));
                else assertEquals((short) i, format.fromFloat(f), format + " 0x" + Integer.toHexString(i));
            }
        }
    }

    @Test
    void dotMatchesReference() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (HalfFloat format : HalfFloat.values()) {
                for (int n : LENGTHS) {
                    for (long byteOffset : new long[] {0, 1, 6}) {
                        MemorySegment seg = halves(arena, byteOffset, random(rnd, format, n, 2f));
                        float[] x = new float[n + 3];
                        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
                        float tol = 2e-6f * (float) Math.sqrt(n) * 4 + 1e-7f;
                        assertEquals(HalfMathReference.dot(x, 3, seg, byteOffset, format, n), HalfMath.dot(x, 3, seg, byteOffset, format, n),
                                tol, format + " dot n=" + n + " offset=" + byteOffset);
                    }
                }
            }
        }
    }

    @Test
    void dotIsDeterministic() {
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofConfined()) {
            for (HalfFloat format : HalfFloat.values()) {
                MemorySegment seg = halves(arena, 1, random(rnd, format, 1001, 1f));
                float[] x = new float[1001];
                for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
                float first = HalfMath.dot(x, 0, seg, 1, format, 1001);
                for (int i = 0; i < 2000; i++) assertEquals(first, HalfMath.dot(x, 0, seg, 1, format, 1001), format + " call " + i);
            }
        }
    }

    @Test
    void rejectsRangesOutsideTheOperands() {
        MemorySegment seg = MemorySegment.ofArray(new byte[20]);
        float[] x = new float[10];
        var e = assertThrows(IllegalArgumentException.class, () -> HalfMath.dot(x, 0, seg, 2, HalfFloat.BF16, 10));
        assertTrue(e.getMessage().contains("need 22 bytes, segment has 20"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> HalfMath.decode(seg, 0, HalfFloat.F16, x, 1, 10));
        assertTrue(e.getMessage().contains("10 floats at offset 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HalfMath.decode(seg, -1, HalfFloat.F16, x, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> HalfMathReference.dot(x, 0, seg, 0, HalfFloat.F16, -1));
    }

    @Test
    void firstNonFiniteMatchesReferenceAtAnyLengthAndOffset() {
        Random rnd = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            for (HalfFloat format : HalfFloat.values()) {
                short inf = format.fromFloat(Float.POSITIVE_INFINITY), negInf = format.fromFloat(Float.NEGATIVE_INFINITY);
                short nan = format.fromFloat(Float.NaN);
                short[] specials = {inf, negInf, nan, (short) (nan | 0x0001)};
                for (int n : LENGTHS) {
                    for (long byteOffset : new long[] {0, 1, 6}) {
                        for (int planted = 0; planted <= 2; planted++) {
                            short[] bits = random(rnd, format, n, 1e4f);
                            for (int k = 0; k < planted && n > 0; k++) bits[rnd.nextInt(n)] = specials[rnd.nextInt(specials.length)];
                            MemorySegment seg = halves(arena, byteOffset, bits);
                            assertEquals(HalfMathReference.firstNonFinite(seg, byteOffset, format, n),
                                    HalfMath.firstNonFinite(seg, byteOffset, format, n), format + " n=" + n + " offset " + byteOffset);
                        }
                    }
                }
                short[] largest = {format.fromFloat(format == HalfFloat.BF16 ? 3.3e38f : 65504f), format.fromFloat(-0f)};
                assertEquals(-1, HalfMath.firstNonFinite(halves(arena, 0, largest), 0, format, 2), format + ": the largest finite value is finite");
            }
        }
    }
}
