package minitron4j.training.task;

import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.ProblemType;
import minitron4j.model.loss.HeadLoss;

/**
 * What a task head predicts from its per-position outputs [N, K]: a class and its probabilities
 * (softmax; sigmoid per label for multi-label; the value itself for regression) at the pooled
 * token, a tag per token, or the answer span with the highest start + end logit.
 */
public final class TaskPredictions {
    /** Answers longer than this many tokens are not considered (SQuAD evaluation's usual limit). */
    public static final int MAX_ANSWER_TOKENS = 30;

    private TaskPredictions() {
    }

    /** Each row's probabilities over the labels (regression: the predicted values), from one pooling of the batch. */
    public static double[][] sequence(NemotronConfig c, float[] outputs, Batch batch) {
        int k = c.headOutputs();
        float[] pooled = HeadLoss.pooled(c, outputs, batch);
        ProblemType type = c.head().problemType(true);
        double[][] rows = new double[batch.batch()][k];
        for (int b = 0; b < rows.length; b++) {
            double[] p = rows[b];
            for (int j = 0; j < k; j++) p[j] = pooled[b * k + j];
            if (type == ProblemType.MULTI_LABEL) for (int j = 0; j < k; j++) p[j] = 1 / (1 + Math.exp(-p[j]));
            if (type == ProblemType.SINGLE_LABEL) softmax(p);
        }
        return rows;
    }

    /** The tag id of every position of row b. */
    public static int[] tags(NemotronConfig c, float[] outputs, Batch batch, int b) {
        int k = c.headOutputs(), t = batch.seq();
        int[] tags = new int[t];
        for (int i = 0; i < t; i++) tags[i] = argmax(outputs, (b * t + i) * k, k);
        return tags;
    }

    /** An answer span [start, end] of token positions, inclusive. */
    public record Span(int start, int end) {
    }

    /** Row b's best span inside its context (from contextStart to its last real token). */
    public static Span span(float[] outputs, Batch batch, int b, int contextStart) {
        int t = batch.seq(), length = batch.length(b);
        Span best = new Span(contextStart, contextStart);
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int s = contextStart; s < length; s++)
            for (int e = s; e < Math.min(length, s + MAX_ANSWER_TOKENS); e++) {
                double score = outputs[2 * (b * t + s)] + outputs[2 * (b * t + e) + 1];
                if (score > bestScore) {
                    bestScore = score;
                    best = new Span(s, e);
                }
            }
        return best;
    }

    static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (x[off + j] > x[off + best]) best = j;
        return best;
    }

    static int argmax(double[] x) {
        int best = 0;
        for (int j = 1; j < x.length; j++) if (x[j] > x[best]) best = j;
        return best;
    }

    private static void softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : x) max = Math.max(max, v);
        for (int j = 0; j < x.length; j++) sum += x[j] = Math.exp(x[j] - max);
        for (int j = 0; j < x.length; j++) x[j] /= sum;
    }
}
