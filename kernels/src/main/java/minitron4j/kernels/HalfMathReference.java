package minitron4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Plain-loop twins of {@link HalfMath}: one scalar read and {@link HalfFloat#toFloat} an element. */
public final class HalfMathReference {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HalfMathReference() {}

    public static void decode(MemorySegment src, long byteOffset, HalfFloat format, float[] dst, int dstOff, int n) {
        HalfMath.checkArgs("decode", src, byteOffset, format, dst, dstOff, n);
        for (int i = 0; i < n; i++) dst[dstOff + i] = format.toFloat(src.get(LE, byteOffset + 2L * i));
    }

    public static long firstNonFinite(MemorySegment seg, long byteOffset, HalfFloat format, long n) {
        for (long i = 0; i < n; i++) if (!Float.isFinite(format.toFloat(seg.get(LE, byteOffset + 2 * i)))) return i;
        return -1;
    }

    public static float dot(float[] x, int xOff, MemorySegment w, long byteOffset, HalfFloat format, int n) {
        HalfMath.checkArgs("dot", w, byteOffset, format, x, xOff, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * format.toFloat(w.get(LE, byteOffset + 2L * i));
        return s;
    }
}
