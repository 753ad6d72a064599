package minitron4j.training;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;

/**
 * Validation loss over non-overlapping windows of a token file: the token-weighted mean next-token
 * CE over every predicted position and its exp (perplexity). Windows are cut from the start of the
 * file in order; a tail of two or more tokens makes a last, shorter window. One instance keeps its
 * activation buffers, so repeated evaluations during training allocate nothing large.
 */
public final class Evaluator {

    /** Mean CE (nats) over {@code tokens} predicted positions in {@code windows} windows, and exp of it. */
    public record Result(double ceLoss, double perplexity, long tokens, long windows) {
    }

    private final Nemotron model;
    private final int seqLen;
    private final int batch;
    private final Activations acts;
    private final int[] ids;
    private final int[] lengths;

    public Evaluator(Nemotron model, int seqLen, int batch) {
        if (seqLen < 2) throw new IllegalArgumentException("seq_len must be >= 2, got " + seqLen);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        this.model = model;
        this.seqLen = seqLen;
        this.batch = batch;
        this.acts = model.inferenceActivations(batch, seqLen);
        this.ids = new int[batch * seqLen];
        this.lengths = new int[batch];
    }

    /** Evaluates the validation split of data over all of its windows. */
    public static Result evaluate(Nemotron model, TokenData data, int seqLen, int batch) {
        return new Evaluator(model, seqLen, batch).evaluate(data.val(), Long.MAX_VALUE);
    }

    /** Sees each evaluated batch with the model's logits [N, V] (read only), e.g. to score them against a teacher's. */
    @FunctionalInterface
    public interface LogitsObserver {
        void accept(Batch batch, float[] logits);
    }

    /** Evaluates the first maxBatches batches of windows of tokens (all of them when there are fewer). */
    public Result evaluate(TokenFile tokens, long maxBatches) {
        return evaluate(tokens, maxBatches, null);
    }

    /** {@link #evaluate(TokenFile, long)}, showing every batch's logits to observer (may be null) first. */
    public Result evaluate(TokenFile tokens, long maxBatches, LogitsObserver observer) {
        long full = tokens.length() / seqLen;
        int tail = (int) (tokens.length() % seqLen);
        long windows = full + (tail >= 2 ? 1 : 0);
        if (windows == 0)
            throw new IllegalArgumentException(tokens.path() + " holds " + tokens.length() + " tokens, too few to evaluate");
        double sum = 0;
        long counted = 0, used = 0;
        for (long w = 0, b = 0; w < windows && b < maxBatches; b++) {
            java.util.Arrays.fill(ids, 0);
            java.util.Arrays.fill(lengths, 0);
            for (int r = 0; r < batch && w < windows; r++, w++, used++) {
                int len = w < full ? seqLen : tail;
                tokens.read(w * seqLen, ids, r * seqLen, len);
                lengths[r] = len;
            }
            Batch x = new Batch(ids, batch, seqLen, lengths);
            model.forward(x, acts, null);
            if (observer != null) observer.accept(x, acts.logits());
            int[] targets = x.nextTokenTargets();
            int count = CrossEntropy.count(targets, x.tokens());
            sum += CrossEntropy.forward(acts.logits(), targets, x.tokens(), model.config().vocabSize(), null) * count;
            counted += count;
        }
        double ce = sum / counted;
        return new Result(ce, Math.exp(ce), counted, used);
    }
}
