package minitron4j.model.io;

import minitron4j.kernels.HalfFloat;
import minitron4j.kernels.HalfMath;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of stored tensors, named as safetensors names them. Every safetensors dtype of whole
 * bytes is listed so that a file holding, say, a U8 tensor still opens (its size can be checked);
 * only the float types convert to fp32 and only I32/I64 convert to int.
 */
public enum Dtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble LE_DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether {@link #toFloats} converts this type (F64, F32, F16, BF16). */
    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The kernels' name for a 16-bit float type (BF16, F16), or null for any other type. */
    public HalfFloat halfFloat() {
        return this == BF16 ? HalfFloat.BF16 : this == F16 ? HalfFloat.F16 : null;
    }

    /** Whether {@link #toInts} converts this type (I32, I64). */
    public boolean isInt() {
        return this == I32 || this == I64;
    }

    /** The dtype a safetensors header names, or null when the name is not one this enum knows. */
    public static Dtype fromSafetensors(String name) {
        for (Dtype d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** The float types a checkpoint may be written in. */
    public static boolean writable(Dtype d) {
        return d == F32 || d == BF16 || d == F16;
    }

    static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** The name transformers uses in config.json ("dtype" / "torch_dtype"). */
    public String torchName() {
        return switch (this) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F64 -> "float64";
            case I64 -> "int64";
            case I32 -> "int32";
            case I16 -> "int16";
            case I8 -> "int8";
            case U8 -> "uint8";
            case U16 -> "uint16";
            case U32 -> "uint32";
            case U64 -> "uint64";
            case BOOL -> "bool";
            case F8_E5M2 -> "float8_e5m2";
            case F8_E4M3 -> "float8_e4m3fn";
        };
    }

    /**
     * Converts {@code count} little-endian elements starting at byte {@code offset} of {@code src} into
     * {@code dst[dstPos..]}. Only for float types.
     */
    void toFloats(MemorySegment src, long offset, float[] dst, int dstPos, int count) {
        switch (this) {
            case F32 -> MemorySegment.copy(src, LE_FLOAT, offset, dst, dstPos, count);
            case BF16, F16 -> HalfMath.decode(src, offset, halfFloat(), dst, dstPos, count);
            case F64 -> {
                for (int i = 0; i < count; i++) dst[dstPos + i] = (float) src.get(LE_DOUBLE, offset + 8L * i);
            }
            default -> throw new IllegalStateException(this + " is not a float type");
        }
    }

    /**
     * Converts {@code count} little-endian I32 or I64 elements into {@code dst[dstPos..]}; returns the index
     * (relative to dstPos) of the first I64 value outside the int range, or -1 when all fit.
     */
    int toInts(MemorySegment src, long offset, int[] dst, int dstPos, int count) {
        switch (this) {
            case I32 -> MemorySegment.copy(src, LE_INT, offset, dst, dstPos, count);
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    long v = src.get(LE_LONG, offset + 8L * i);
                    if (v != (int) v) return i;
                    dst[dstPos + i] = (int) v;
                }
            }
            default -> throw new IllegalStateException(this + " is not an int type");
        }
        return -1;
    }

    /** The value at element {@code index}, for error messages about out-of-range I64 values. */
    long longAt(MemorySegment src, long offset, int index) {
        return src.get(LE_LONG, offset + 8L * index);
    }

    /** fp32 to bf16 with round-to-nearest-even, as torch's {@code .to(torch.bfloat16)} does (NaN stays NaN). */
    public static short floatToBf16(float f) {
        return HalfFloat.BF16.fromFloat(f);
    }

    /** The fp32 value of {@code f} rounded to bf16 (what a bf16 round trip gives). */
    public static float roundToBf16(float f) {
        return HalfFloat.BF16.toFloat(floatToBf16(f));
    }
}
