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
 *     in pieces around the answer when there is one, so that its token span is exact.
 * </ul>
 * Inputs longer than maxLen are cut at maxLen tokens.
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
        return cut(concat(prefix, tokenizer.encodeNoSpecial(text)));
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
        return new Words(cut(ids), first);
    }

    /**
     * A question with its context; the answer's token span [start, end] (inclusive) when answerStart
     * (a character offset into context) is not negative, else -1. The context starts at token
     * contextStart (where a span may begin).
     */
    public record Question(int[] ids, int contextStart, int start, int end) {
    }

    public Question question(String question, String context, int answerStart, String answer) {
        int[] head = concat(prefix, tokenizer.encodeNoSpecial(question));
        if (tokenizer.eosId().isPresent()) head = concat(head, new int[]{tokenizer.eosId().getAsInt()});
        int contextStart = head.length;
        if (answerStart < 0) return new Question(cut(concat(head, tokenizer.encodeNoSpecial(" " + context))), contextStart, -1, -1);
        int[] before = tokenizer.encodeNoSpecial(" " + context.substring(0, answerStart));
        int[] span = tokenizer.encodeNoSpecial((answerStart == 0 ? " " : "") + answer);
        int[] after = tokenizer.encodeNoSpecial(context.substring(answerStart + answer.length()));
        int start = contextStart + (answerStart == 0 ? 0 : before.length);
        int[] ids = answerStart == 0 ? concat(head, span, after) : concat(head, before, span, after);
        int end = start + span.length - 1;
        return new Question(cut(ids), contextStart, end < maxLen ? start : -1, end < maxLen ? end : -1);
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
