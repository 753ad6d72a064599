package minitron4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * HF's pre-tokenizers that this implementation reproduces: Metaspace, ByteLevel, Split and Sequence.
 * Each turns one piece into the pieces the model tokenizes separately; empty pieces are dropped, as in
 * HF's {@code PreTokenizedString::split}.
 */
sealed interface PreTokenizer {

    void split(Piece piece, List<Piece> out);

    static PreTokenizer parse(JsonField field) {
        String type = field.type();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonField step : field.get("pretokenizers").elements()) {
                    steps.add(parse(step));
                }
                yield new Sequence(List.copyOf(steps));
            }
            case "Metaspace" -> Metaspace.parse(field);
            case "ByteLevel" -> new ByteLevel(field.get("add_prefix_space").bool(true),
                    field.get("use_regex").bool(true));
            case "Split" -> new Split(TextPattern.parse(field.get("pattern")),
                    SplitBehavior.parse(field.get("behavior")), field.get("invert").bool(false));
            default -> throw field.get("type").unsupported("pre_tokenizer type '" + type + "'");
        };
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public void split(Piece piece, List<Piece> out) {
            List<Piece> current = List.of(piece);
            for (PreTokenizer step : steps) {
                List<Piece> next = new ArrayList<>();
                for (Piece p : current) {
                    step.split(p, next);
                }
                current = next;
            }
            out.addAll(current);
        }
    }

    enum PrependScheme { FIRST, ALWAYS, NEVER }

    /**
     * SentencePiece's whitespace handling: spaces become {@code replacement} ("▁"), which is prepended
     * where the scheme says (FIRST: only to a piece that starts the input) unless already there; with
     * {@code split} the piece is cut before every replacement char.
     */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean split) implements PreTokenizer {

        static Metaspace parse(JsonField field) {
            int replacement = field.get("replacement").codePoint();
            if (replacement > 0xFFFF) {
                throw field.get("replacement").unsupported("a replacement outside the Basic Multilingual Plane");
            }
            PrependScheme scheme = PrependScheme.ALWAYS;
            JsonField schemeField = field.get("prepend_scheme");
            if (!schemeField.isNull()) {
                scheme = switch (schemeField.string()) {
                    case "first" -> PrependScheme.FIRST;
                    case "always" -> PrependScheme.ALWAYS;
                    case "never" -> PrependScheme.NEVER;
                    default -> throw schemeField.fail("\"first\", \"always\" or \"never\"");
                };
            }
            // Files from before prepend_scheme existed say add_prefix_space; false means "never".
            if (!field.get("add_prefix_space").bool(true)) {
                if (!schemeField.isNull() && scheme != PrependScheme.NEVER) {
                    throw field.get("add_prefix_space").fail("true, since prepend_scheme is " + schemeField.string());
                }
                scheme = PrependScheme.NEVER;
            }
            return new Metaspace((char) replacement, scheme, field.get("split").bool(true));
        }

        @Override
        public void split(Piece piece, List<Piece> out) {
            if (piece.isEmpty()) {
                return;
            }
            Piece replaced = piece.withSameLengthText(piece.text.replace(' ', replacement));
            boolean startsWithMark = replaced.text.charAt(0) == replacement;
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> !startsWithMark;
                case FIRST -> !startsWithMark && piece.originOf(0) == 0;
                case NEVER -> false;
            };
            if (prepend) {
                replaced = replaced.prepended(String.valueOf(replacement));
            }
            if (!split) {
                out.add(replaced);
                return;
            }
            String text = replaced.text;
            int start = 0;
            for (int i = 1; i < text.length(); i++) {
                if (text.charAt(i) == replacement) {
                    out.add(replaced.slice(start, i));
                    start = i;
                }
            }
            out.add(replaced.slice(start, text.length()));
        }
    }

    /**
     * GPT-2's byte-level pre-tokenizer: optionally a leading space, the GPT-2 regex split, then every
     * UTF-8 byte replaced by its {@link ByteLevelAlphabet} char.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void split(Piece piece, List<Piece> out) {
            if (piece.isEmpty()) {
                return;
            }
            if (addPrefixSpace && !piece.text.startsWith(" ")) {
                piece = piece.prepended(" ");
            }
            if (!useRegex) {
                out.add(toBytes(piece));
                return;
            }
            String text = piece.text;
            int start = 0;
            while (start < text.length()) {
                int end = Gpt2Split.matchEnd(text, start);
                out.add(toBytes(piece.slice(start, end)));
                start = end;
            }
        }

        private static Piece toBytes(Piece piece) {
            String text = piece.text;
            char[] chars = new char[Utf8.length(text)];
            byte[] bytes = new byte[4];
            int at = 0;
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                if (cp < 0x80) {
                    chars[at++] = ByteLevelAlphabet.charOf(cp);
                    i++;
                    continue;
                }
                int n = Utf8.encode(cp, bytes);
                for (int k = 0; k < n; k++) {
                    chars[at++] = ByteLevelAlphabet.charOf(bytes[k] & 0xFF);
                }
                i += Character.charCount(cp);
            }
            String image = new String(chars);
            return at == text.length() ? piece.withSameLengthText(image) : piece.byteImage(image);
        }
    }

    enum SplitBehavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static SplitBehavior parse(JsonField field) {
            return switch (field.string()) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw field.fail("Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous");
            };
        }
    }

    /** Cuts at the matches of a pattern (or, inverted, at what lies between them), keeping them as told. */
    record Split(TextPattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(Piece piece, List<Piece> out) {
            String text = piece.text;
            if (text.isEmpty()) {
                return;
            }
            // The string cut into consecutive spans, each flagged as a match or not (HF's find_matches).
            int[] spans = pattern.findAll(text);
            IntList bounds = new IntList(spans.length + 4);
            List<Boolean> isMatch = new ArrayList<>();
            int at = 0;
            for (int k = 0; k < spans.length; k += 2) {
                if (at < spans[k]) {
                    bounds.add(at);
                    isMatch.add(invert);
                }
                bounds.add(spans[k]);
                isMatch.add(!invert);
                at = spans[k + 1];
            }
            if (at < text.length()) {
                bounds.add(at);
                isMatch.add(invert);
            }
            bounds.add(text.length());
            List<int[]> kept = new ArrayList<>(); // [start, end] of each output piece
            int n = isMatch.size();
            switch (behavior) {
                case ISOLATED -> {
                    for (int i = 0; i < n; i++) {
                        kept.add(new int[] {bounds.get(i), bounds.get(i + 1)});
                    }
                }
                case REMOVED -> {
                    for (int i = 0; i < n; i++) {
                        if (!isMatch.get(i)) {
                            kept.add(new int[] {bounds.get(i), bounds.get(i + 1)});
                        }
                    }
                }
                case CONTIGUOUS, MERGED_WITH_PREVIOUS -> {
                    boolean previousMatch = false;
                    for (int i = 0; i < n; i++) {
                        boolean match = isMatch.get(i);
                        boolean joins = behavior == SplitBehavior.CONTIGUOUS
                                ? match == previousMatch : match && !previousMatch;
                        if (joins && !kept.isEmpty()) {
                            kept.getLast()[1] = bounds.get(i + 1);
                        } else {
                            kept.add(new int[] {bounds.get(i), bounds.get(i + 1)});
                        }
                        previousMatch = match;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previousMatch = false;
                    for (int i = n - 1; i >= 0; i--) {
                        boolean match = isMatch.get(i);
                        if (match && !previousMatch && !kept.isEmpty()) {
                            kept.getFirst()[0] = bounds.get(i);
                        } else {
                            kept.addFirst(new int[] {bounds.get(i), bounds.get(i + 1)});
                        }
                        previousMatch = match;
                    }
                }
            }
            for (int[] span : kept) {
                if (span[0] < span[1]) {
                    out.add(piece.slice(span[0], span[1]));
                }
            }
        }
    }
}
