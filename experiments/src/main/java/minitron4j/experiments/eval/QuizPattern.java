package minitron4j.experiments.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One category of a BSD quiz data line: a pattern in quiz(6)'s syntax, where {@code a|b} are
 * alternatives, {@code {x}} is optional, {@code [x|y]} groups alternatives inside a word (as in
 * {@code strain['|e]d}) and a backslash quotes the next character. For example
 * {@code {G{eorge} }Washington} accepts "George Washington", "G Washington" and "Washington".
 */
public final class QuizPattern {
    /** Expansions beyond this many are not enumerated (the real files stay far below it). */
    private static final int MAX_EXPANSIONS = 4096;

    private sealed interface Node permits Text, Sequence, Choice, OptionalPart {
    }

    private record Text(String text) implements Node {
    }

    private record Sequence(List<Node> parts) implements Node {
    }

    private record Choice(List<Node> alternatives) implements Node {
    }

    private record OptionalPart(Node inner) implements Node {
    }

    private final Node root;
    /** Lower-case expansions, for {@link #accepts}: distractor checks ask it many times. */
    private final Set<String> lowerCaseExpansions = new HashSet<>();

    private QuizPattern(Node root) {
        this.root = root;
        for (String e : expansions()) lowerCaseExpansions.add(e.toLowerCase(Locale.ROOT));
    }

    /** Parses one category; {@link IllegalArgumentException} names the problem and its column. */
    public static QuizPattern parse(String pattern) {
        Parser p = new Parser(pattern);
        Node root = p.alternatives();
        if (p.pos < pattern.length())
            throw new IllegalArgumentException("unmatched '" + pattern.charAt(p.pos) + "' at column " + (p.pos + 1) + " of \"" + pattern + "\"");
        return new QuizPattern(root);
    }

    /**
     * The fullest reading: every optional part included, the first of every set of alternatives,
     * spaces collapsed ({@code {G{eorge} }Washington} gives "George Washington").
     */
    public String canonical() {
        StringBuilder sb = new StringBuilder();
        canonical(root, sb);
        return tidy(sb.toString());
    }

    /** Whether nothing is asked or answered here (quiz skips such questions). */
    public boolean isEmpty() {
        return canonical().isEmpty();
    }

    /** Every text the pattern accepts (spaces collapsed), up to a few thousand. */
    public Set<String> expansions() {
        Set<String> out = new LinkedHashSet<>();
        for (String s : expand(root)) out.add(tidy(s));
        return out;
    }

    /** Whether the pattern accepts text, ignoring case and runs of spaces. */
    public boolean accepts(String text) {
        return lowerCaseExpansions.contains(tidy(text).toLowerCase(Locale.ROOT));
    }

    private static void canonical(Node n, StringBuilder sb) {
        switch (n) {
            case Text t -> sb.append(t.text());
            case Sequence s -> s.parts().forEach(p -> canonical(p, sb));
            case Choice c -> canonical(c.alternatives().getFirst(), sb);
            case OptionalPart o -> canonical(o.inner(), sb);
        }
    }

    private static List<String> expand(Node n) {
        return switch (n) {
            case Text t -> List.of(t.text());
            case OptionalPart o -> {
                List<String> out = new ArrayList<>(expand(o.inner()));
                out.add("");
                yield out;
            }
            case Choice c -> {
                List<String> out = new ArrayList<>();
                for (Node a : c.alternatives()) {
                    out.addAll(expand(a));
                    if (out.size() >= MAX_EXPANSIONS) break;
                }
                yield out;
            }
            case Sequence s -> {
                List<String> acc = List.of("");
                for (Node part : s.parts()) {
                    List<String> next = new ArrayList<>();
                    List<String> tails = expand(part);
                    for (String prefix : acc) {
                        for (String tail : tails) {
                            if (next.size() >= MAX_EXPANSIONS) break;
                            next.add(prefix + tail);
                        }
                    }
                    acc = next;
                }
                yield acc;
            }
        };
    }

    private static String tidy(String s) {
        return s.strip().replaceAll("\\s+", " ");
    }

    /** Recursive descent: alternatives := sequence ('|' sequence)*; sequence := (text | {alternatives} | [alternatives])*. */
    private static final class Parser {
        final String s;
        int pos;

        Parser(String s) {
            this.s = s;
        }

        Node alternatives() {
            List<Node> alts = new ArrayList<>();
            alts.add(sequence());
            while (pos < s.length() && s.charAt(pos) == '|') {
                pos++;
                alts.add(sequence());
            }
            return alts.size() == 1 ? alts.getFirst() : new Choice(alts);
        }

        Node sequence() {
            List<Node> parts = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '|' || c == '}' || c == ']') break;
                if (c == '\\' && pos + 1 < s.length()) {
                    text.append(s.charAt(pos + 1));
                    pos += 2;
                } else if (c == '{' || c == '[') {
                    if (!text.isEmpty()) parts.add(new Text(text.toString()));
                    text.setLength(0);
                    int open = pos++;
                    Node inner = alternatives();
                    char close = c == '{' ? '}' : ']';
                    if (pos >= s.length() || s.charAt(pos) != close)
                        throw new IllegalArgumentException("'" + c + "' at column " + (open + 1) + " of \"" + s + "\" is never closed by '" + close + "'");
                    pos++;
                    parts.add(c == '{' ? new OptionalPart(inner) : inner);
                } else {
                    text.append(c);
                    pos++;
                }
            }
            if (!text.isEmpty()) parts.add(new Text(text.toString()));
            return parts.size() == 1 ? parts.getFirst() : new Sequence(parts);
        }
    }
}
