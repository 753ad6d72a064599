package minitron4j.experiments.eval;

import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Zero-shot multiple choice the lm-evaluation-harness way: each choice's log-likelihood as the
 * continuation of the context; {@code acc} picks the choice of highest log-likelihood,
 * {@code acc_norm} the highest log-likelihood per character of the choice text (lm-eval's
 * {@code len(choice)}: Unicode code points of the choice without the delimiter), which removes
 * the bias towards short choices. Ties go to the first choice, as numpy's argmax.
 */
public final class MultipleChoiceScorer {

    /** The log-likelihood of every choice of one item and the two predictions. */
    public record ItemScore(int label, double[] logLikelihoods, int prediction, int normPrediction) {
        public boolean correct() {
            return prediction == label;
        }

        public boolean normCorrect() {
            return normPrediction == label;
        }
    }

    /** Accuracy and length-normalised accuracy over n items, each with a 95% Wilson interval. */
    public record Result(String task, int n, ConfidenceInterval acc, ConfidenceInterval accNorm, List<ItemScore> items,
                         double seconds) {
    }

    private final LoglikelihoodScorer scorer;
    private final Tokenizer tokenizer;

    public MultipleChoiceScorer(LoglikelihoodScorer scorer, Tokenizer tokenizer) {
        this.scorer = scorer;
        this.tokenizer = tokenizer;
    }

    public Result score(MultipleChoiceTask task) {
        long t0 = System.nanoTime();
        List<LoglikelihoodScorer.Request> requests = new ArrayList<>();
        for (MultipleChoiceTask.Item item : task.items())
            for (String choice : item.choices())
                requests.add(LoglikelihoodScorer.encode(tokenizer, item.context(), MultipleChoiceTask.TARGET_DELIMITER + choice));
        List<LoglikelihoodScorer.Score> scores = scorer.score(requests);

        List<ItemScore> out = new ArrayList<>(task.items().size());
        int next = 0, correct = 0, normCorrect = 0;
        for (MultipleChoiceTask.Item item : task.items()) {
            int k = item.choices().size();
            double[] ll = new double[k];
            for (int c = 0; c < k; c++) ll[c] = scores.get(next++).logLikelihood();
            ItemScore s = new ItemScore(item.label(), ll, argmax(ll, null), argmax(ll, item.choices()));
            if (s.correct()) correct++;
            if (s.normCorrect()) normCorrect++;
            out.add(s);
        }
        int n = out.size();
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(task.name(), n, ConfidenceInterval.wilson95(correct, n), ConfidenceInterval.wilson95(normCorrect, n),
                out, seconds);
    }

    /** argmax of ll, or of ll / length(choice) when choices are given; the first of equal values wins. */
    static int argmax(double[] ll, List<String> choices) {
        int best = 0;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < ll.length; c++) {
            double v = choices == null ? ll[c] : ll[c] / choiceLength(choices.get(c));
            if (v > bestValue) {
                best = c;
                bestValue = v;
            }
        }
        return best;
    }

    /** The length acc_norm divides by: Python's len() of the choice string, i.e. its code points. */
    static int choiceLength(String choice) {
        return choice.codePointCount(0, choice.length());
    }
}
