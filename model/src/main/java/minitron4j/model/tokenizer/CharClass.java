package minitron4j.model.tokenizer;

/** The Unicode classes HF's regexes use, by their Unicode definitions (Java's own helpers differ). */
final class CharClass {
    private CharClass() {
    }

    /** {@code \s} of Rust's regex and of Oniguruma: the Unicode White_Space property (NBSP included). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** {@code \p{L}}: general category Letter. */
    static boolean isLetter(int cp) {
        return Character.isLetter(cp);
    }

    /** {@code \p{N}}: general category Number (Nd, Nl, No). */
    static boolean isNumber(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    /** {@code \w} of Rust's regex: Alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.DECIMAL_DIGIT_NUMBER
                || type == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }
}
