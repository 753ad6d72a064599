package minitron4j.training.task;

import minitron4j.model.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * How a task's inputs become token ids, the same for fine-tuning and for the classify, qa and tag
 * commands. Every input starts with the tokens the tokenizer's post-processor puts before a text
 * (BOS for the Nemotron tokenizers); the rest is encoded without special tokens:
 * <ul>
 * <li>a text: {@code prefix + text};
 * <li>words (token classification): {@code prefix + word_0 + " " word_1 + ...}, each word encoded on
 *     its own so that its first token is known (HF labels that one and ignores the rest with -100);
 * <li>question and context (QA): {@code prefix + question + EOS + " " context}, the context encoded
 *     in pieces around the answer when there is one, so that its token span is exact; the whitespace
 *     before the answer goes with it, as a word's leading space does when the context is encoded
 *     whole, so that training sees the tokens inference sees.
 * </ul>
 * Inputs longer than maxLen are cut at maxLen tokens; an input that encodes to nothing is refused.
 */
public final class TaskEncoder {
    private final Tokenizer tokenizer;
    private final int maxLen;
    private final int[] prefix;

    public TaskEncoder(Tokenizer tokenizer, int maxLen) {
        if (maxLen < 2) throw new IllegalArgumentException("the input length must be at least 2 tokens, got " + maxLen);
        this.tokenizer = tokenizer;
        this.maxLen = maxLen;
        this.prefix = tokenizer.encode(""); // what the post-processor adds around an empty text
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int maxLen() {
        return maxLen;
    }

    /** A text for sequence classification. */
    public int[] text(String text) {
        int[] ids = cut(concat(prefix, tokenizer.encodeNoSpecial(text)));
        if (ids.length == 0) throw new IllegalArgumentException("the text \"" + text + "\" encodes to no token (the tokenizer adds no BOS)");
        return ids;
    }

    /** Words and the position of each word's first token (-1 for a word cut off by maxLen). */
    public record Words(int[] ids, int[] firstToken) {
    }

    public Words words(List<String> words) {
        int[] ids = prefix.clone();
        int[] first = new int[words.size()];
        for (int i = 0; i < words.size(); i++) {
            int[] piece = tokenizer.encodeNoSpecial(i == 0 ? words.get(i) : " " + words.get(i));
            first[i] = piece.length == 0 || ids.length >= maxLen ? -1 : ids.length;
            ids = concat(ids, piece);
        }
        if (ids.length == 0) throw new IllegalArgumentException("the words " + words + " encode to no token");
        return new Words(cut(ids), first);
    }

    /**
     * A question with its context; the answer's token span [start, end] (inclusive) when answerStart
     * (a character offset into context) is not negative, else -1. The context starts at token
     * contextStart (where a span may begin); cut says whether maxLen cut the context short.
     */
    public record Question(int[] ids, int contextStart, int start, int end, boolean cut) {
    }

    public Question question(String question, String context, int answerStart, String answer) {
        int[] head = concat(prefix, tokenizer.encodeNoSpecial(question));
        if (tokenizer.eosId().isPresent()) head = concat(head, new int[]{tokenizer.eosId().getAsInt()});
        int contextStart = head.length;
        if (contextStart >= maxLen)
            throw new IllegalArgumentException("the question takes " + contextStart + " of the " + maxLen
                    + " tokens allowed, leaving no room for its context (a longer --seq-len?)");
        String text = " " + context;
        if (answerStart < 0) {
            int[] ids = concat(head, tokenizer.encodeNoSpecial(text));
            return new Question(cut(ids), contextStart, -1, -1, ids.length > maxLen);
        }
        int at = answerStart + 1, split = Character.isWhitespace(text.charAt(at - 1)) ? at - 1 : at;
        int[] before = tokenizer.encodeNoSpecial(text.substring(0, split));
        int[] span = tokenizer.encodeNoSpecial(text.substring(split, at + answer.length()));
        int[] after = tokenizer.encodeNoSpecial(text.substring(at + answer.length()));
        int[] ids = concat(head, before, span, after);
        int start = contextStart + before.length, end = start + span.length - 1;
        int[] whole = concat(head, tokenizer.encodeNoSpecial(text));
        if (!Arrays.equals(whole, ids)) {
            // the pieces merged differently at a boundary (a tokenizer whose merges cross punctuation):
            // train on the whole encoding when a span of it decodes to the answer, the nearest one
            int[] found = spanOf(whole, contextStart, answer.strip(), start, span.length + 2);
            if (found != null) {
                ids = whole;
                start = found[0];
                end = found[1];
            }
        }
        boolean fits = end < maxLen;
        return new Question(cut(ids), contextStart, fits ? start : -1, fits ? end : -1, ids.length > maxLen);
    }

    /** The span [s, e] of ids (s >= from, at most maxTokens long) that decodes to answer, nearest to near; null if none does. */
    private int[] spanOf(int[] ids, int from, String answer, int near, int maxTokens) {
        int[] best = null;
        for (int s = from; s < ids.length; s++)
            for (int e = s; e < Math.min(ids.length, s + maxTokens); e++)
                if (tokenizer.decode(Arrays.copyOfRange(ids, s, e + 1), true).strip().equals(answer)
                        && (best == null || Math.abs(s - near) < Math.abs(best[0] - near)))
                    best = new int[]{s, e};
        return best;
    }

    private int[] cut(int[] ids) {
        return ids.length > maxLen ? Arrays.copyOf(ids, maxLen) : ids;
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
