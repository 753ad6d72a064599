package minitron4j.model.loss;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.HeadTargets;
import minitron4j.model.LogitLoss;
import minitron4j.model.NemotronConfig;
import minitron4j.model.ProblemType;

import java.util.Arrays;

/**
 * The losses of the model card's task heads, as HF's loss_utils computes them, on the per-position
 * head outputs [N, K] of {@link minitron4j.model.Nemotron}; {@link #lossAndGradient} overwrites them
 * with d loss / d outputs (times the weight), zero where a position takes no part.
 * <ul>
 * <li>sequence classification: the row's output at its last non-padding token ({@link #pooledPositions});
 *     MSE (regression, mean over every value), cross-entropy (single-label, mean over labels that are
 *     not -100) or BCE with logits (multi-label, mean over every value), by problem_type or HF's
 *     inference from num_labels and the label kind;
 * <li>token classification: cross-entropy per position, -100 ignored, mean;
 * <li>question answering: start and end positions clamped to [0, T], T ignored; the mean of the
 *     start and end cross-entropies.
 * </ul>
 */
public final class HeadLoss implements LogitLoss {
    private final NemotronConfig config;
    private final float weight;

    private HeadLoss(NemotronConfig config, float weight) {
        this.config = config;
        this.weight = weight;
    }

    /** The loss of config's class, its gradient scaled by weight. */
    public static HeadLoss of(NemotronConfig config, float weight) {
        Architecture a = config.architecture();
        if (a.task() == null) throw new IllegalArgumentException(a.hfName() + " has no task head loss");
        return new HeadLoss(config, weight);
    }

    /**
     * The loss without its gradient (validation, the forward command's {@code loss}); NaN, as HF
     * gives it, when no target counts (every label -100, every QA position out of range). Training
     * steps get 0 and no gradient from such a batch instead.
     */
    public static double value(NemotronConfig config, float[] outputs, Batch batch) {
        return counted(config, batch) ? of(config, 1f).lossAndGradient(outputs.clone(), batch, config.headOutputs()) : Double.NaN;
    }

    /** Whether some target of the batch takes part in the loss (a mean over none is HF's NaN). */
    private static boolean counted(NemotronConfig config, Batch batch) {
        int seq = batch.seq();
        return switch (batch.targets()) {
            case null -> throw new IllegalArgumentException(config.architecture().hfName() + " loss needs labels in the batch");
            case HeadTargets.SequenceClasses c -> CrossEntropy.count(c.labels(), c.labels().length) > 0;
            case HeadTargets.SequenceValues v -> v.values().length > 0;
            case HeadTargets.TokenTags t -> CrossEntropy.count(t.tags(), t.tags().length) > 0;
            case HeadTargets.Spans s -> CrossEntropy.count(clamped(s.start(), seq), s.start().length) > 0
                    || CrossEntropy.count(clamped(s.end(), seq), s.end().length) > 0;
        };
    }

    @Override
    public double lossAndGradient(float[] outputs, Batch batch, int k) {
        if (k != config.headOutputs())
            throw new IllegalArgumentException("the head has " + config.headOutputs() + " outputs per position, got " + k);
        HeadTargets targets = batch.targets();
        if (targets == null) throw new IllegalArgumentException(config.architecture().hfName() + " loss needs labels in the batch");
        return switch (config.architecture()) {
            case SEQUENCE_CLASSIFICATION -> sequence(outputs, batch, k, targets);
            case TOKEN_CLASSIFICATION -> {
                if (!(targets instanceof HeadTargets.TokenTags t))
                    throw new IllegalArgumentException("token classification takes a tag per position, got " + targets.getClass().getSimpleName());
                for (int i = 0; i < t.tags().length; i++) checkClass(t.tags()[i], k, "tag at position " + i);
                double loss = CrossEntropy.forward(outputs, t.tags(), batch.tokens(), k, null);
                CrossEntropy.backwardInPlace(outputs, t.tags(), batch.tokens(), k, weight, outputs, false);
                yield loss;
            }
            case QUESTION_ANSWERING -> {
                if (!(targets instanceof HeadTargets.Spans s))
                    throw new IllegalArgumentException("question answering takes start and end positions, got " + targets.getClass().getSimpleName());
                yield spans(outputs, batch, s);
            }
            case CAUSAL_LM, BASE -> throw new AssertionError();
        };
    }

    /**
     * The position HF's sequence classifier reads in each row: the rightmost token that is not
     * pad_token_id (0 when every token is padding: argmax over zeros), found from the ids alone, not
     * the attention mask; without a pad token the last position, which HF allows for one row only.
     */
    public static int[] pooledPositions(NemotronConfig config, Batch batch) {
        int[] pos = new int[batch.batch()];
        if (!config.hasPadToken()) {
            if (batch.batch() != 1)
                throw new IllegalArgumentException("Cannot handle batch sizes > 1 if no padding token is defined."
                        + " (HF's message: config.json has no pad_token_id; set one, or classify one text at a time)");
            pos[0] = batch.seq() - 1;
            return pos;
        }
        for (int b = 0; b < batch.batch(); b++)
            for (int t = batch.seq() - 1; t > 0; t--)
                if (batch.ids()[b * batch.seq() + t] != config.padTokenId()) {
                    pos[b] = t;
                    break;
                }
        return pos;
    }

    /** The pooled [B, K] outputs of a sequence classifier from its per-position outputs [N, K]. */
    public static float[] pooled(NemotronConfig config, float[] outputs, Batch batch) {
        return gather(outputs, batch, pooledPositions(config, batch), config.headOutputs());
    }

    /** Row b's k outputs at position pos[b], for every row: [B, k]. */
    private static float[] gather(float[] outputs, Batch batch, int[] pos, int k) {
        float[] out = new float[batch.batch() * k];
        for (int b = 0; b < pos.length; b++) System.arraycopy(outputs, (b * batch.seq() + pos[b]) * k, out, b * k, k);
        return out;
    }

    /** The problem type a loss uses: config.json's, else HF's inference from num_labels and the label kind. */
    static ProblemType problemType(NemotronConfig config, HeadTargets targets) {
        return config.head().problemType(targets instanceof HeadTargets.SequenceClasses);
    }

    /** QA's per-position outputs [N, 2] as HF splits them: start_logits [N] and end_logits [N]. */
    public static float[][] startEndLogits(float[] outputs, int n) {
        float[] start = new float[n], end = new float[n];
        for (int i = 0; i < n; i++) {
            start[i] = outputs[2 * i];
            end[i] = outputs[2 * i + 1];
        }
        return new float[][]{start, end};
    }

    private double sequence(float[] outputs, Batch batch, int k, HeadTargets targets) {
        int[] pos = pooledPositions(config, batch);
        float[] pooled = gather(outputs, batch, pos, k);
        int rows = batch.batch();
        float[] grad = new float[pooled.length];
        ProblemType type = problemType(config, targets);
        double loss = switch (type) {
            case REGRESSION, MULTI_LABEL -> {
                if (!(targets instanceof HeadTargets.SequenceValues v) || v.width() != k)
                    throw new IllegalArgumentException(type.hfName() + " takes " + k + " float label(s) per row, got " + describe(targets));
                yield type == ProblemType.REGRESSION ? mse(pooled, v.values(), grad)
                        : bceWithLogits(pooled, v.values(), grad);
            }
            case SINGLE_LABEL -> {
                if (!(targets instanceof HeadTargets.SequenceClasses c))
                    throw new IllegalArgumentException("single_label_classification takes one class id per row, got " + describe(targets));
                for (int b = 0; b < rows; b++) checkClass(c.labels()[b], k, "label of row " + b);
                double l = CrossEntropy.forward(pooled, c.labels(), rows, k, null);
                CrossEntropy.backwardInPlace(pooled.clone(), c.labels(), rows, k, 1f, grad, false);
                yield l;
            }
        };
        Arrays.fill(outputs, 0f);
        for (int b = 0; b < rows; b++)
            for (int j = 0; j < k; j++) outputs[(b * batch.seq() + pos[b]) * k + j] = weight * grad[b * k + j];
        return loss;
    }

    /** torch's MSELoss (mean over every value); d loss / d x into grad. */
    private static double mse(float[] x, float[] y, float[] grad) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - y[i];
            sum += d * d;
            grad[i] = (float) (2 * d / x.length);
        }
        return sum / x.length;
    }

    /** torch's BCEWithLogitsLoss (mean over every value), in its stable form; d loss / d x into grad. */
    private static double bceWithLogits(float[] x, float[] y, float[] grad) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            sum += Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v)));
            grad[i] = (float) ((1 / (1 + Math.exp(-v)) - y[i]) / x.length);
        }
        return sum / x.length;
    }

    /** HF's QA loss: (CE(start) + CE(end)) / 2 over rows whose clamped position is not T. */
    private double spans(float[] outputs, Batch batch, HeadTargets.Spans spans) {
        int rows = batch.batch(), seq = batch.seq();
        float[][] startEnd = startEndLogits(outputs, rows * seq);
        float[] start = startEnd[0], end = startEnd[1];
        int[] s = clamped(spans.start(), seq), e = clamped(spans.end(), seq);
        double loss = (CrossEntropy.forward(start, s, rows, seq, null) + CrossEntropy.forward(end, e, rows, seq, null)) / 2;
        CrossEntropy.backwardInPlace(start, s, rows, seq, weight / 2, start, false);
        CrossEntropy.backwardInPlace(end, e, rows, seq, weight / 2, end, false);
        for (int i = 0; i < rows * seq; i++) {
            outputs[2 * i] = start[i];
            outputs[2 * i + 1] = end[i];
        }
        return loss;
    }

    /** Positions clamped to [0, T] as HF does (so -100 counts as position 0), with T marked ignored. */
    private static int[] clamped(int[] positions, int seq) {
        int[] c = new int[positions.length];
        for (int i = 0; i < c.length; i++) {
            int p = Math.clamp(positions[i], 0, seq);
            c[i] = p == seq ? CrossEntropy.IGNORE : p;
        }
        return c;
    }

    private static void checkClass(int label, int k, String what) {
        if (label != CrossEntropy.IGNORE && (label < 0 || label >= k))
            throw new IllegalArgumentException(what + " is " + label + "; labels are 0.." + (k - 1) + " or -100 (ignored)");
    }

    private static String describe(HeadTargets t) {
        return switch (t) {
            case HeadTargets.SequenceClasses c -> "integer class ids";
            case HeadTargets.SequenceValues v -> v.width() + " float value(s) per row";
            default -> t.getClass().getSimpleName();
        };
    }
}
