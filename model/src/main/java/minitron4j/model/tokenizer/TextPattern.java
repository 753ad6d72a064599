package minitron4j.model.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code {"String": s}} or {@code {"Regex": r}} pattern of Replace and Split. A String is matched
 * literally; a Regex (Oniguruma syntax in HF) runs on {@link java.util.regex} with Unicode classes, which
 * agrees with Oniguruma on the constructs tokenizer files use ({@code \s \p{L} \p{N} (?i:) (?!)},
 * possessive and counted repetition); constructs that Java would read otherwise are refused.
 */
record TextPattern(String literal, Pattern regex) {
    /**
     * Oniguruma syntax that java.util.regex would accept with another meaning: {@code \h} is a hex digit
     * there and horizontal space here, POSIX brackets and negated properties are not Java's syntax.
     */
    private static final List<String> ONIGURUMA_ONLY = List.of("\\h", "\\H", "[[:", "\\p{^", "\\P{^");

    static TextPattern parse(JsonField field) {
        field.requireObject();
        if (field.has("String") && !field.has("Regex")) {
            String literal = field.get("String").string();
            if (literal.isEmpty()) {
                throw field.get("String").unsupported("an empty pattern");
            }
            return new TextPattern(literal, null);
        }
        if (field.has("Regex") && !field.has("String")) {
            JsonField source = field.get("Regex");
            for (String construct : ONIGURUMA_ONLY) {
                if (source.string().contains(construct)) {
                    throw source.unsupported("the Oniguruma construct '" + construct + "' (Java reads it otherwise)");
                }
            }
            try {
                return new TextPattern(null, Pattern.compile(source.string(), Pattern.UNICODE_CHARACTER_CLASS));
            } catch (PatternSyntaxException e) {
                throw source.fail("a valid regular expression (" + e.getDescription() + ")");
            }
        }
        throw field.fail("{\"String\": ...} or {\"Regex\": ...}");
    }

    /**
     * Match spans of {@code text}, left to right and non-overlapping, as {@code [start, end)} pairs in
     * one array: start0, end0, start1, end1, ...
     */
    int[] findAll(String text) {
        IntList spans = new IntList(8);
        if (literal != null) {
            int from = 0;
            int at;
            while ((at = text.indexOf(literal, from)) >= 0) {
                spans.add(at);
                spans.add(at + literal.length());
                from = at + literal.length();
            }
        } else {
            Matcher m = regex.matcher(text);
            while (m.find()) {
                spans.add(m.start());
                spans.add(m.end());
            }
        }
        return spans.toArray();
    }
}
