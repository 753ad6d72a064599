package minitron4j.training.task;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.ProblemType;
import minitron4j.model.loss.HeadLoss;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A task head on held-out examples: the loss HF computes (mean over batches, weighted by rows;
 * batches where no target counts are left out) and the metrics each task uses: accuracy and macro
 * F1 for single-label classification and tagging (over tagged tokens), mean squared error for
 * regression, exact set match and micro F1 for multi-label, exact match and token F1 of the answer
 * span for QA (SQuAD's measures on token positions). The first metric after the loss is the one
 * that is also kept example by example, as a sum and a weight whose ratio over all examples is that
 * metric (correct / 1, squared error / 1, right tags / tagged tokens), for intervals and paired
 * comparisons over examples.
 */
public final class TaskEvaluation {
    /**
     * The metrics under their log keys; {@code scoreMetric}, the key whose value is
     * sum(exampleScores) / sum(exampleWeights); the per-example sums and weights, in the examples' order.
     */
    public record Result(Map<String, Double> metrics, String scoreMetric, double[] exampleScores, double[] exampleWeights) {
        /** Whether every example is one right-or-wrong trial (a proportion, for Wilson intervals). */
        public boolean binary() {
            for (int i = 0; i < exampleScores.length; i++)
                if (exampleWeights[i] != 1 || (exampleScores[i] != 0 && exampleScores[i] != 1)) return false;
            return true;
        }
    }

    private TaskEvaluation() {
    }

    public static Result evaluate(Function<Batch, float[]> forward, NemotronConfig c, List<LabeledExample> examples, int rows,
                                  int seqLen, int padId) {
        int k = c.headOutputs();
        double lossSum = 0, lossRows = 0;
        double[] scores = new double[examples.size()], weights = new double[examples.size()];
        int[][] confusion = new int[k][k]; // [gold][predicted] of single-label classes or tags
        double tp = 0, fp = 0, fn = 0, qaF1 = 0; // multi-label counts; QA token F1 sum
        ProblemType type = c.head().problemType(examples.getFirst().values() == null);
        for (int from = 0; from < examples.size(); from += rows) {
            List<LabeledExample> part = examples.subList(from, Math.min(examples.size(), from + rows));
            Batch batch = ExampleBatches.of(part, c.architecture(), k, seqLen, padId, null);
            float[] out = forward.apply(batch);
            double loss = HeadLoss.value(c, out, batch);
            if (!Double.isNaN(loss)) {
                lossSum += loss * part.size();
                lossRows += part.size();
            }
            double[][] probabilities = c.architecture() == Architecture.SEQUENCE_CLASSIFICATION ? TaskPredictions.sequence(c, out, batch) : null;
            for (int r = 0; r < part.size(); r++) {
                LabeledExample e = part.get(r);
                int at = from + r;
                weights[at] = 1;
                switch (c.architecture()) {
                    case SEQUENCE_CLASSIFICATION -> {
                        double[] p = probabilities[r];
                        switch (type) {
                            case SINGLE_LABEL -> {
                                int guess = TaskPredictions.argmax(p);
                                confusion[e.classId()][guess]++;
                                scores[at] = guess == e.classId() ? 1 : 0;
                            }
                            case REGRESSION -> {
                                for (int j = 0; j < k; j++) scores[at] += (p[j] - e.values()[j]) * (p[j] - e.values()[j]) / k;
                            }
                            case MULTI_LABEL -> {
                                boolean exact = true;
                                for (int j = 0; j < k; j++) {
                                    boolean guess = p[j] > 0.5, gold = e.values()[j] > 0.5;
                                    tp += guess && gold ? 1 : 0;
                                    fp += guess && !gold ? 1 : 0;
                                    fn += !guess && gold ? 1 : 0;
                                    exact &= guess == gold;
                                }
                                scores[at] = exact ? 1 : 0;
                            }
                        }
                    }
                    case TOKEN_CLASSIFICATION -> {
                        int[] tags = TaskPredictions.tags(c, out, batch, r);
                        int right = 0, count = 0;
                        for (int i = 0; i < e.tags().length; i++) {
                            if (e.tags()[i] == CrossEntropy.IGNORE) continue;
                            confusion[e.tags()[i]][tags[i]]++;
                            right += tags[i] == e.tags()[i] ? 1 : 0;
                            count++;
                        }
                        scores[at] = right;
                        weights[at] = count;
                    }
                    case QUESTION_ANSWERING -> {
                        TaskPredictions.Span s = TaskPredictions.span(out, batch, r, e.contextStart());
                        scores[at] = s.start() == e.start() && s.end() == e.end() ? 1 : 0;
                        int overlap = Math.max(0, Math.min(s.end(), e.end()) - Math.max(s.start(), e.start()) + 1);
                        double precision = (double) overlap / (s.end() - s.start() + 1), recall = (double) overlap / (e.end() - e.start() + 1);
                        qaF1 += overlap == 0 ? 0 : 2 * precision * recall / (precision + recall);
                    }
                    case CAUSAL_LM, BASE -> throw new IllegalArgumentException(c.architecture().hfName() + " has no task metrics");
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_task_loss", lossRows == 0 ? Double.NaN : lossSum / lossRows);
        double scoreSum = 0, weightSum = 0;
        for (int i = 0; i < scores.length; i++) {
            scoreSum += scores[i];
            weightSum += weights[i];
        }
        double mean = weightSum == 0 ? Double.NaN : scoreSum / weightSum;
        String scoreMetric = switch (c.architecture()) {
            case SEQUENCE_CLASSIFICATION -> switch (type) {
                case SINGLE_LABEL -> put(m, "val_accuracy", mean, "val_macro_f1", macroF1(confusion));
                case REGRESSION -> put(m, "val_mse", mean, null, 0);
                case MULTI_LABEL -> put(m, "val_exact_match", mean, "val_micro_f1", tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn));
            };
            case TOKEN_CLASSIFICATION -> put(m, "val_accuracy", mean, "val_macro_f1", macroF1(confusion));
            case QUESTION_ANSWERING -> put(m, "val_exact_match", mean, "val_f1", qaF1 / examples.size());
            case CAUSAL_LM, BASE -> throw new AssertionError();
        };
        return new Result(m, scoreMetric, scores, weights);
    }

    /** Puts the example-level metric and a second one (when named) into m; returns the first's key. */
    private static String put(Map<String, Double> m, String key, double value, String other, double otherValue) {
        m.put(key, value);
        if (other != null) m.put(other, otherValue);
        return key;
    }

    /** The mean over classes that occur (as gold or guess) of 2 tp / (2 tp + fp + fn). */
    static double macroF1(int[][] confusion) {
        double sum = 0;
        int classes = 0;
        for (int j = 0; j < confusion.length; j++) {
            double tp = confusion[j][j], fp = 0, fn = 0;
            for (int i = 0; i < confusion.length; i++) {
                if (i == j) continue;
                fp += confusion[i][j];
                fn += confusion[j][i];
            }
            if (tp + fp + fn == 0) continue;
            sum += 2 * tp / (2 * tp + fp + fn);
            classes++;
        }
        return classes == 0 ? 0 : sum / classes;
    }
}
