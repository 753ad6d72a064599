package minitron4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * HF's normalizers that this implementation reproduces: Sequence, Prepend, Replace and the four Unicode
 * normal forms. Applied to each stretch of input between non-normalized added tokens.
 */
sealed interface Normalizer {

    Piece apply(Piece piece);

    static Normalizer parse(JsonField field) {
        String type = field.type();
        return switch (type) {
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (JsonField step : field.get("normalizers").elements()) {
                    steps.add(parse(step));
                }
                yield new Sequence(List.copyOf(steps));
            }
            case "Prepend" -> new Prepend(field.get("prepend").string());
            case "Replace" -> new Replace(TextPattern.parse(field.get("pattern")), field.get("content").string());
            case "NFC" -> new Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Unicode(java.text.Normalizer.Form.NFKD);
            default -> throw field.get("type").unsupported("normalizer type '" + type + "'");
        };
    }

    record Sequence(List<Normalizer> steps) implements Normalizer {
        @Override
        public Piece apply(Piece piece) {
            for (Normalizer step : steps) {
                piece = step.apply(piece);
            }
            return piece;
        }
    }

    /** Puts {@code prepend} in front of a non-empty piece (SentencePiece's "▁" before every stretch). */
    record Prepend(String prepend) implements Normalizer {
        @Override
        public Piece apply(Piece piece) {
            return piece.isEmpty() ? piece : piece.prepended(prepend);
        }
    }

    record Replace(TextPattern pattern, String content) implements Normalizer {
        @Override
        public Piece apply(Piece piece) {
            int[] spans = pattern.findAll(piece.text);
            if (spans.length == 0) {
                return piece;
            }
            boolean sameLengths = true;
            for (int k = 0; k < spans.length; k += 2) {
                sameLengths &= spans[k + 1] - spans[k] == content.length();
            }
            String text = piece.text;
            if (sameLengths) {
                char[] out = text.toCharArray();
                for (int k = 0; k < spans.length; k += 2) {
                    content.getChars(0, content.length(), out, spans[k]);
                }
                return piece.withSameLengthText(new String(out));
            }
            Piece.Builder out = new Piece.Builder(text.length() + 16);
            int at = 0;
            for (int k = 0; k < spans.length; k += 2) {
                for (int i = at; i < spans[k]; i++) {
                    out.append(text.charAt(i), piece.originOf(i));
                }
                out.append(content, piece.originOf(spans[k]));
                at = spans[k + 1];
            }
            for (int i = at; i < text.length(); i++) {
                out.append(text.charAt(i), piece.originOf(i));
            }
            return out.build();
        }
    }

    /**
     * A Unicode normal form. Text is normalized in segments that start at each ASCII char (nothing
     * composes with, reorders around or decomposes into an ASCII char before it, so the segments
     * normalize independently); the chars of a changed segment all take the segment's input offset.
     */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public Piece apply(Piece piece) {
            String text = piece.text;
            if (java.text.Normalizer.isNormalized(text, form)) {
                return piece;
            }
            Piece.Builder out = new Piece.Builder(text.length() + 16);
            int start = 0;
            while (start < text.length()) {
                int end = start + 1;
                while (end < text.length() && text.charAt(end) >= 0x80) {
                    end++;
                }
                String segment = text.substring(start, end);
                String normalized = java.text.Normalizer.normalize(segment, form);
                if (normalized.equals(segment)) {
                    for (int i = start; i < end; i++) {
                        out.append(text.charAt(i), piece.originOf(i));
                    }
                } else {
                    out.append(normalized, piece.originOf(start));
                }
                start = end;
            }
            return out.build();
        }
    }
}
