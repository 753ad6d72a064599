package minitron4j.kernels;

/**
 * The 16-bit float formats a stored weight may have: bf16 (fp32's sign and 8-bit exponent, 7 bits
 * of mantissa, so a bf16 is the top half of an fp32) and IEEE binary16 f16 (5-bit exponent, 10-bit
 * mantissa). Both decode to fp32 exactly; this class holds the scalar conversions, {@link HalfMath}
 * the vector ones.
 */
public enum HalfFloat {
    BF16, F16;

    /** The exponent bits of a pattern: all of them set means infinity or NaN. */
    public short exponentMask() {
        return switch (this) {
            case BF16 -> (short) 0x7f80;
            case F16 -> (short) 0x7c00;
        };
    }

    /** The fp32 value of a 16-bit pattern; exact for every pattern (NaNs stay NaN). */
    public float toFloat(short bits) {
        return switch (this) {
            case BF16 -> Float.intBitsToFloat(bits << 16);
            case F16 -> Float.float16ToFloat(bits);
        };
    }

    /**
     * The nearest 16-bit value, ties to even (what PyTorch writes when it casts a checkpoint);
     * values past the largest finite one round to infinity.
     */
    public short fromFloat(float f) {
        return switch (this) {
            case BF16 -> {
                int b = Float.floatToRawIntBits(f);
                // A NaN whose payload lies in the low half would truncate to infinity: set the quiet bit.
                if (Float.isNaN(f)) yield (short) ((b >>> 16) | 0x0040);
                // Adding 0x7fff, plus one when the kept half is odd, carries exactly when the dropped
                // half is above the tie or at the tie of an odd value.
                yield (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
            }
            case F16 -> Float.floatToFloat16(f);
        };
    }
}
