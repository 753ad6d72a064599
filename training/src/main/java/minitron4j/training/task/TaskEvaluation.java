package minitron4j.training.task;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.ProblemType;
import minitron4j.model.loss.HeadLoss;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A task head on held-out examples: the loss HF computes (mean over batches, weighted by rows) and
 * the metric each task uses: accuracy and macro F1 for single-label classification and tagging
 * (over tagged tokens), mean squared error for regression, micro F1 and exact set match for
 * multi-label, exact match and token F1 of the answer span for QA (SQuAD's measures on token
 * positions). Per example it keeps a score in [0, 1] (correct, exact match, share of tags right,
 * -squared error for regression), for confidence intervals over examples.
 */
public final class TaskEvaluation {
    /** The metrics under their log keys and each example's score, in the examples' order. */
    public record Result(Map<String, Double> metrics, double[] exampleScores) {
    }

    private TaskEvaluation() {
    }

    public static Result evaluate(Function<Batch, float[]> forward, NemotronConfig c, List<LabeledExample> examples, int rows,
                                  int seqLen, int padId) {
        int k = c.headOutputs();
        double lossSum = 0;
        double[] scores = new double[examples.size()];
        int[][] confusion = new int[k][k]; // [gold][predicted] of single-label classes or tags
        double tp = 0, fp = 0, fn = 0, qaF1 = 0; // multi-label counts; QA token F1 sum
        for (int from = 0; from < examples.size(); from += rows) {
            List<LabeledExample> part = examples.subList(from, Math.min(examples.size(), from + rows));
            Batch batch = ExampleBatches.of(part, c.architecture(), k, seqLen, padId, null);
            float[] out = forward.apply(batch);
            lossSum += HeadLoss.value(c, out, batch) * part.size();
            for (int r = 0; r < part.size(); r++) {
                LabeledExample e = part.get(r);
                int at = from + r;
                switch (c.architecture()) {
                    case SEQUENCE_CLASSIFICATION -> {
                        double[] p = TaskPredictions.sequence(c, out, batch, r);
                        if (e.values() == null) {
                            int guess = TaskPredictions.argmax(p);
                            confusion[e.classId()][guess]++;
                            scores[at] = guess == e.classId() ? 1 : 0;
                        } else if (type(c) == ProblemType.REGRESSION) {
                            double d = p[0] - e.values()[0];
                            scores[at] = -d * d;
                        } else {
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
                    case TOKEN_CLASSIFICATION -> {
                        int[] tags = TaskPredictions.tags(c, out, batch, r);
                        int right = 0, count = 0;
                        for (int i = 0; i < e.tags().length; i++) {
                            if (e.tags()[i] == CrossEntropy.IGNORE) continue;
                            confusion[e.tags()[i]][tags[i]]++;
                            right += tags[i] == e.tags()[i] ? 1 : 0;
                            count++;
                        }
                        scores[at] = count == 0 ? 1 : (double) right / count;
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
        m.put("val_task_loss", lossSum / examples.size());
        double mean = 0;
        for (double s : scores) mean += s / scores.length;
        switch (c.architecture()) {
            case SEQUENCE_CLASSIFICATION -> {
                if (examples.getFirst().values() == null) {
                    m.put("val_accuracy", mean);
                    m.put("val_macro_f1", macroF1(confusion));
                } else if (type(c) == ProblemType.REGRESSION) {
                    m.put("val_mse", -mean);
                } else {
                    m.put("val_micro_f1", tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn));
                    m.put("val_exact_match", mean);
                }
            }
            case TOKEN_CLASSIFICATION -> {
                long right = 0, all = 0;
                for (int g = 0; g < k; g++) for (int p = 0; p < k; p++) {
                    all += confusion[g][p];
                    right += g == p ? confusion[g][p] : 0;
                }
                m.put("val_accuracy", all == 0 ? 0 : (double) right / all);
                m.put("val_macro_f1", macroF1(confusion));
            }
            case QUESTION_ANSWERING -> {
                m.put("val_exact_match", mean);
                m.put("val_f1", qaF1 / examples.size());
            }
            case CAUSAL_LM, BASE -> throw new AssertionError();
        }
        return new Result(m, scores);
    }

    private static ProblemType type(NemotronConfig c) {
        return c.head().problemType() != null ? c.head().problemType() : ProblemType.infer(c.headOutputs(), true);
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
