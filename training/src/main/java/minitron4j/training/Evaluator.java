package minitron4j.training;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.backend.Backend;

import java.util.function.Function;

/**
 * Validation loss over non-overlapping windows of a token file: the token-weighted mean next-token
 * CE over every predicted position and its exp (perplexity). Windows are cut from the start of the
 * file in order; a tail of two or more tokens makes a last, shorter window. A limited evaluation
 * (during training) takes windows spread evenly over the whole file, the same ones every time, so
 * that it stands for all of the file's documents and not just the first. One instance keeps its
 * id buffers and its forward pass its activations, so repeated evaluations during training
 * allocate nothing large.
 */
public final class Evaluator {

    /**
     * Mean CE (nats) over {@code tokens} predicted positions in {@code windows} windows, and exp of it;
     * per window (in evaluation order) the summed CE and the predicted positions, so that two models
     * evaluated on the same windows can be compared window by window (a paired bootstrap).
     */
    public record Result(double ceLoss, double perplexity, long tokens, long windows, double[] windowCeSums,
                         int[] windowTokens) {
    }

    private final Function<Batch, float[]> forward;
    private final int vocab;
    private final int seqLen;
    private final int batch;
    private final int[] ids;
    private final int[] lengths;
    private final float[] positionLoss;

    /** Evaluation through a backend session's forward pass. */
    public Evaluator(Backend.Session session, int seqLen, int batch) {
        this(session::forward, checkedVocab(session.config()), seqLen, batch);
    }

    /** The vocabulary of a causal LM; other classes have no next-token logits to evaluate. */
    private static int checkedVocab(minitron4j.model.NemotronConfig c) {
        c.requireCausalLm("perplexity on held-out text");
        return c.vocabSize();
    }

    /**
     * Evaluation through any forward pass that returns the logits [batch*seqLen, vocab] of a batch
     * of that shape (a backend session's, for one).
     */
    public Evaluator(Function<Batch, float[]> forward, int vocab, int seqLen, int batch) {
        if (seqLen < 2) throw new IllegalArgumentException("seq_len must be >= 2, got " + seqLen);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        this.forward = forward;
        this.vocab = vocab;
        this.seqLen = seqLen;
        this.batch = batch;
        this.ids = new int[batch * seqLen];
        this.lengths = new int[batch];
        this.positionLoss = new float[batch * seqLen];
    }

    /** Sees each evaluated batch with the model's logits [N, V] (read only), e.g. to score them against a teacher's. */
    @FunctionalInterface
    public interface LogitsObserver {
        void accept(Batch batch, float[] logits);
    }

    /**
     * Evaluates maxBatches batches of windows spread evenly over tokens (window j of k is window
     * floor(j * W / k) of the W the file holds), or all windows when there are no more than that.
     */
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
        long use = maxBatches >= (windows + batch - 1) / batch ? windows : maxBatches * batch;
        if (use > Integer.MAX_VALUE) throw new IllegalArgumentException(tokens.path() + ": too many windows to evaluate (" + use + ")");
        double[] windowSums = new double[(int) use];
        int[] windowTokens = new int[(int) use];
        double sum = 0;
        long counted = 0;
        for (int j = 0; j < use; ) {
            java.util.Arrays.fill(ids, 0);
            java.util.Arrays.fill(lengths, 0);
            int first = j;
            for (int r = 0; r < batch && j < use; r++, j++) {
                long w = j * windows / use;
                int len = w < full ? seqLen : tail;
                tokens.read(w * seqLen, ids, r * seqLen, len);
                lengths[r] = len;
            }
            Batch x = new Batch(ids, batch, seqLen, lengths);
            float[] logits = forward.apply(x);
            if (observer != null) observer.accept(x, logits);
            int[] targets = x.nextTokenTargets();
            CrossEntropy.forward(logits, targets, x.tokens(), vocab, positionLoss);
            for (int r = 0; r < j - first; r++) {
                double rowSum = 0;
                int rowCount = 0;
                for (int t = r * seqLen; t < (r + 1) * seqLen; t++)
                    if (targets[t] != CrossEntropy.IGNORE) {
                        rowSum += positionLoss[t];
                        rowCount++;
                    }
                windowSums[first + r] = rowSum;
                windowTokens[first + r] = rowCount;
                sum += rowSum;
                counted += rowCount;
            }
        }
        double ce = sum / counted;
        return new Result(ce, Math.exp(ce), counted, use, windowSums, windowTokens);
    }
}
