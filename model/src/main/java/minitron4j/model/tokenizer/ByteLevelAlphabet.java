package minitron4j.model.tokenizer;

/**
 * GPT-2's reversible map from the 256 byte values to printable chars: the printable Latin-1 bytes map
 * to themselves, the others (controls, space, 0x7F-0xA0, 0xAD) to U+0100 onwards in byte order. Byte
 * 0x20 (space) becomes 'Ġ' and 0x0A becomes 'Ċ'.
 */
final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Byte value of each char of the alphabet, -1 elsewhere; all alphabet chars are below U+0144. */
    private static final short[] BYTE_OF_CHAR = new short[0x200];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, (short) -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = (short) b;
        }
    }

    private ByteLevelAlphabet() {
    }

    static char charOf(int unsignedByte) {
        return CHAR_OF_BYTE[unsignedByte];
    }

    /** The byte a char stands for, or -1 if the char is not in the alphabet. */
    static int byteOf(int codePoint) {
        return codePoint < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[codePoint] : -1;
    }
}
