package minitron4j.model.tokenizer;

import java.util.Arrays;

/**
 * A stretch of text on its way from the input to the model (HF's split of a {@code PreTokenizedString}),
 * with where each of its chars came from in the input, or the id of the added token it already is.
 *
 * <p>HF keeps full alignments; the only use the encoding makes of them is Metaspace's
 * {@code prepend_scheme: "first"}, which asks whether a piece starts at offset 0 of the input. So a
 * piece stores the original offset per char only where a transformation changed lengths; otherwise
 * the offset of char i is {@code base + max(0, i - lead)}, {@code lead} counting chars prepended in
 * front of the first one (they share its offset, as HF aligns them). The byte-level image of a piece
 * (one char per UTF-8 byte) works its offsets out from the piece it came from only when asked, so that
 * a whole text taken as one piece costs no offset array.
 */
final class Piece {
    final String text;
    /** The added token this piece is, or -1 while it still has to go through the model. */
    final int tokenId;
    /** Input offset of each char, or null: then {@code base + max(0, i - lead)}, or derived from byteSource. */
    private int[] origin;
    private final int base;
    private final int lead;
    /** Where this piece is the byte-level image of another, its offsets are worked out only if asked. */
    private Piece byteSource;

    private Piece(String text, int tokenId, int[] origin, int base, int lead) {
        this.text = text;
        this.tokenId = tokenId;
        this.origin = origin;
        this.base = base;
        this.lead = lead;
    }

    static Piece of(String text) {
        return new Piece(text, -1, null, 0, 0);
    }

    /** Offset in the input of char i. */
    int originOf(int i) {
        materialize();
        return origin != null ? origin[i] : base + Math.max(0, i - lead);
    }

    private void materialize() {
        if (byteSource != null) {
            origin = byteSource.byteOrigins();
            byteSource = null;
        }
    }

    /** A piece with other text (or token) but this piece's offsets, computed or still to compute. */
    private Piece sameOrigins(String newText, int newTokenId) {
        Piece copy = new Piece(newText, newTokenId, origin, base, lead);
        copy.byteSource = byteSource;
        return copy;
    }

    Piece slice(int from, int to) {
        if (from == 0 && to == text.length()) {
            return this;
        }
        materialize();
        if (origin != null) {
            return new Piece(text.substring(from, to), -1, Arrays.copyOfRange(origin, from, to), 0, 0);
        }
        return new Piece(text.substring(from, to), -1, null, originOf(from), Math.max(0, lead - from));
    }

    /** The image of this piece with each UTF-8 byte as one char ({@code bytes.length} = UTF-8 length). */
    Piece byteImage(String bytes) {
        Piece image = new Piece(bytes, -1, null, 0, 0);
        image.byteSource = this;
        return image;
    }

    /** The input offset of each byte of this piece's UTF-8. */
    private int[] byteOrigins() {
        int[] out = new int[Utf8.length(text)];
        int at = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int from = originOf(i);
            for (int k = Utf8.length(cp); k > 0; k--) {
                out[at++] = from;
            }
            i += Character.charCount(cp);
        }
        return out;
    }

    Piece asToken(int id) {
        return sameOrigins(text, id);
    }

    /** The same chars one for one (a char replaced by another char): alignment unchanged. */
    Piece withSameLengthText(String newText) {
        return sameOrigins(newText, -1);
    }

    /** {@code prefix} put in front; its chars take the offset of the first char, as HF aligns them. */
    Piece prepended(String prefix) {
        materialize();
        if (origin == null) {
            return new Piece(prefix + text, -1, null, base, lead + prefix.length());
        }
        int[] shifted = new int[origin.length + prefix.length()];
        Arrays.fill(shifted, 0, prefix.length(), originOf(0));
        System.arraycopy(origin, 0, shifted, prefix.length(), origin.length);
        return new Piece(prefix + text, -1, shifted, 0, 0);
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    /** Builds a rewritten piece char by char, each appended run tagged with the input offset it came from. */
    static final class Builder {
        private final StringBuilder text;
        private int[] origin;
        private int length;

        Builder(int capacity) {
            text = new StringBuilder(capacity);
            origin = new int[Math.max(capacity, 4)];
        }

        void append(CharSequence chars, int from) {
            for (int i = 0; i < chars.length(); i++) {
                append(chars.charAt(i), from);
            }
        }

        void append(char c, int from) {
            if (length == origin.length) {
                origin = Arrays.copyOf(origin, length * 2);
            }
            text.append(c);
            origin[length++] = from;
        }

        Piece build() {
            return new Piece(text.toString(), -1, Arrays.copyOf(origin, length), 0, 0);
        }
    }
}
