package minitron4j.model.tokenizer;

/**
 * UTF-8 decoding with Rust's two behaviours, which the decoders rely on: {@code String::from_utf8}
 * (all or nothing) and {@code String::from_utf8_lossy} (one U+FFFD per maximal ill-formed subpart, the
 * Unicode recommendation). Written out rather than left to the JDK's decoder so that the number of
 * replacement characters is exactly Rust's.
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /** Number of UTF-8 bytes of a code point. */
    static int length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /** Number of UTF-8 bytes of a text (a lone surrogate counts as the 3 bytes of its replacement). */
    static int length(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            n += length(cp);
            i += Character.charCount(cp);
        }
        return n;
    }

    /** Writes the UTF-8 bytes of a code point to {@code out} (room for 4) and returns how many. */
    static int encode(int cp, byte[] out) {
        if (cp < 0x80) {
            out[0] = (byte) cp;
            return 1;
        }
        if (cp < 0x800) {
            out[0] = (byte) (0xC0 | (cp >> 6));
            out[1] = (byte) (0x80 | (cp & 0x3F));
            return 2;
        }
        if (cp < 0x10000) {
            out[0] = (byte) (0xE0 | (cp >> 12));
            out[1] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[2] = (byte) (0x80 | (cp & 0x3F));
            return 3;
        }
        out[0] = (byte) (0xF0 | (cp >> 18));
        out[1] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (byte) (0x80 | (cp & 0x3F));
        return 4;
    }

    /** The text, or {@code null} if the bytes are not well-formed UTF-8. */
    static String decodeStrict(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        return decode(bytes, length, out, true) ? out.toString() : null;
    }

    static String decodeLossy(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        decode(bytes, length, out, false);
        return out.toString();
    }

    /** Appends the decoded text; returns false at the first ill-formed sequence when {@code strict}. */
    private static boolean decode(byte[] bytes, int length, StringBuilder out, boolean strict) {
        int i = 0;
        while (i < length) {
            int b = bytes[i] & 0xFF;
            if (b < 0x80) {
                out.append((char) b);
                i++;
                continue;
            }
            int width;
            int secondLow = 0x80;
            int secondHigh = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                width = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                width = 3;
                if (b == 0xE0) {
                    secondLow = 0xA0;
                } else if (b == 0xED) {
                    secondHigh = 0x9F;
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                width = 4;
                if (b == 0xF0) {
                    secondLow = 0x90;
                } else if (b == 0xF4) {
                    secondHigh = 0x8F;
                }
            } else {
                width = 0;
            }
            int end = i + 1;
            boolean wellFormed = width > 0;
            if (wellFormed) {
                if (end < length && (bytes[end] & 0xFF) >= secondLow && (bytes[end] & 0xFF) <= secondHigh) {
                    end++;
                    while (end < i + width && end < length && (bytes[end] & 0xC0) == 0x80) {
                        end++;
                    }
                    wellFormed = end == i + width;
                } else {
                    wellFormed = false;
                }
            }
            if (!wellFormed) {
                if (strict) {
                    return false;
                }
                out.append(REPLACEMENT);
                i = end;
                continue;
            }
            int cp = b & (0xFF >> (width + 1));
            for (int k = i + 1; k < end; k++) {
                cp = (cp << 6) | (bytes[k] & 0x3F);
            }
            out.appendCodePoint(cp);
            i = end;
        }
        return true;
    }
}
