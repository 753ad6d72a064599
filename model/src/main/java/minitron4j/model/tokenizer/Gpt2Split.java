package minitron4j.model.tokenizer;

/**
 * The GPT-2 pre-tokenization regex of HF's ByteLevel pre-tokenizer, written out as a scanner (several
 * times faster than a backtracking regex, and it is on the hot path of byte-level encoding):
 *
 * <pre>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 *
 * The alternatives are tried in order at each position, as Oniguruma does. Every char is covered by
 * some alternative, so the matches tile the text.
 */
final class Gpt2Split {
    private static final int LETTER = 0;
    private static final int NUMBER = 1;
    private static final int OTHER = 2;
    private static final int SPACE = 3;

    private Gpt2Split() {
    }

    /** End of the match that starts at {@code start} (exclusive). */
    static int matchEnd(String text, int start) {
        int n = text.length();
        char c = text.charAt(start);
        if (c == '\'' && start + 1 < n) {
            char c1 = text.charAt(start + 1);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                return start + 2;
            }
            if (start + 2 < n) {
                char c2 = text.charAt(start + 2);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    return start + 3;
                }
            }
        }
        int cp = text.codePointAt(start);
        int kind = classOf(cp);
        int runStart = start;
        if (cp == ' ' && start + 1 < n) {
            int nextKind = classOf(text.codePointAt(start + 1));
            if (nextKind != SPACE) {
                // " ?\p{L}+", " ?\p{N}+" or " ?[^\s\p{L}\p{N}]+" with the optional space taken
                kind = nextKind;
                runStart = start + 1;
            }
        }
        if (kind != SPACE) {
            return runEnd(text, runStart, kind);
        }
        int end = runEnd(text, start, SPACE);
        if (end == n) {
            return end; // "\s+(?!\S)" up to the end of the text
        }
        // "\s+(?!\S)" backs off one char so that the last space can lead the next word; a single
        // space before a non-space falls through to "\s+"
        int last = text.offsetByCodePoints(end, -1);
        return last > start ? last : end;
    }

    private static int runEnd(String text, int from, int kind) {
        int i = from;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if (classOf(cp) != kind) {
                break;
            }
            i += Character.charCount(cp);
        }
        return i;
    }

    private static int classOf(int cp) {
        if (cp < 0x80) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
                return LETTER;
            }
            if (cp >= '0' && cp <= '9') {
                return NUMBER;
            }
            return (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) ? SPACE : OTHER;
        }
        if (CharClass.isWhiteSpace(cp)) {
            return SPACE;
        }
        if (CharClass.isLetter(cp)) {
            return LETTER;
        }
        return CharClass.isNumber(cp) ? NUMBER : OTHER;
    }
}
