package minitron4j.experiments.eval;

import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores last-word items as lm-eval scores LAMBADA: {@code acc} = the word's tokens are exactly what
 * greedy decoding produces after the context; {@code perplexity} = exp(-mean over items of the
 * word's log-likelihood), lm-eval's per-word perplexity. {@code tokenPerplexity} = exp(-total
 * log-likelihood / total word tokens) is given beside it for comparison with validation perplexity.
 */
public final class LastWordScorer {

    public record Result(String task, int n, ConfidenceInterval acc, double perplexity, double tokenPerplexity,
                         double meanLogLikelihood, double seconds) {
    }

    private final LoglikelihoodScorer scorer;
    private final Tokenizer tokenizer;

    public LastWordScorer(LoglikelihoodScorer scorer, Tokenizer tokenizer) {
        this.scorer = scorer;
        this.tokenizer = tokenizer;
    }

    public Result score(LastWordTask task) {
        long t0 = System.nanoTime();
        List<LoglikelihoodScorer.Request> requests = new ArrayList<>();
        for (LastWordTask.Item item : task.items())
            requests.add(LoglikelihoodScorer.encode(tokenizer, item.context(), MultipleChoiceTask.TARGET_DELIMITER + item.word()));
        List<LoglikelihoodScorer.Score> scores = scorer.score(requests);
        int greedy = 0;
        long tokens = 0;
        double sum = 0;
        for (LoglikelihoodScorer.Score s : scores) {
            if (s.greedy()) greedy++;
            sum += s.logLikelihood();
            tokens += s.tokens();
        }
        int n = scores.size();
        double mean = sum / n;
        return new Result(task.name(), n, ConfidenceInterval.wilson95(greedy, n), Math.exp(-mean), Math.exp(-sum / tokens),
                mean, (System.nanoTime() - t0) / 1e9);
    }
}
