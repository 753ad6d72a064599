package minitron4j.experiments.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A BSD quiz(6) data file: one question/answer set per line, its categories separated by colons
 * (e.g. {@code state:capital:abbreviation:flower}); a backslash at the end of a line continues the
 * set on the next line, and a backslash before any other character quotes it (so {@code \:} is a
 * colon inside a category).
 */
public final class QuizFile {

    /** One question/answer set: a pattern per category, and the line it starts on. */
    public record Entry(int line, List<QuizPattern> categories) {
        /** The category at index, or an empty pattern when the line has fewer. */
        public QuizPattern category(int index) {
            return index < categories.size() ? categories.get(index) : QuizPattern.parse("");
        }
    }

    private QuizFile() {
    }

    public static List<Entry> read(Path file) throws IOException {
        // new String(bytes, UTF_8) replaces malformed bytes instead of failing on them.
        return parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8), file.toString());
    }

    /** Parses the text of a data file; errors name source and line. */
    public static List<Entry> parse(String text, String source) {
        List<Entry> entries = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int first = i + 1;
            StringBuilder set = new StringBuilder(lines[i]);
            while (endsWithContinuation(set) && i + 1 < lines.length) {
                set.setLength(set.length() - 1);
                set.append(lines[++i]);
            }
            if (set.toString().isBlank()) continue;
            try {
                List<QuizPattern> categories = new ArrayList<>();
                for (String c : splitCategories(set.toString())) categories.add(QuizPattern.parse(c));
                entries.add(new Entry(first, categories));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ":" + first + ": " + e.getMessage(), e);
            }
        }
        return entries;
    }

    /** An odd run of backslashes at the end: the last one is not itself quoted. */
    private static boolean endsWithContinuation(CharSequence s) {
        int n = 0;
        for (int k = s.length() - 1; k >= 0 && s.charAt(k) == '\\'; k--) n++;
        return n % 2 == 1;
    }

    /** Splits at colons that are neither quoted nor inside braces or brackets. */
    static List<String> splitCategories(String set) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int k = 0; k < set.length(); k++) {
            char c = set.charAt(k);
            if (c == '\\') k++;
            else if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') depth--;
            else if (c == ':' && depth == 0) {
                out.add(set.substring(start, k));
                start = k + 1;
            }
        }
        out.add(set.substring(start));
        return out;
    }
}
