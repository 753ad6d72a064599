package minitron4j.model;

/**
 * Test-only double-precision losses of the task heads, written from HF's loss_utils without the
 * production code: pooling at the rightmost non-pad token, MSE / CE / BCE-with-logits by problem
 * type, CE over tags with -100 ignored, and QA's clamped start/end CE averaged.
 */
final class ReferenceHeads {
    private ReferenceHeads() {
    }

    /** The loss of p's class on batch (its targets), from the double reference forward. */
    static double loss(Parameters p, Batch batch) {
        NemotronConfig c = p.config();
        double[] out = ReferenceNemotron.logits(p, batch);
        int K = c.headOutputs(), B = batch.batch(), T = batch.seq();
        return switch (batch.targets()) {
            case HeadTargets.SequenceClasses s -> {
                double sum = 0;
                int count = 0;
                for (int b = 0; b < B; b++) {
                    if (s.labels()[b] == -100) continue;
                    sum += ce(out, (b * T + pooled(c, batch, b)) * K, 1, K, s.labels()[b]);
                    count++;
                }
                yield sum / count;
            }
            case HeadTargets.SequenceValues v -> {
                double sum = 0;
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < K; j++) {
                        double x = out[(b * T + pooled(c, batch, b)) * K + j], y = v.values()[b * K + j];
                        sum += K == 1 || c.head().problemType() == ProblemType.REGRESSION ? (x - y) * (x - y)
                                : -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
                    }
                yield sum / (B * K);
            }
            case HeadTargets.TokenTags t -> {
                double sum = 0;
                int count = 0;
                for (int i = 0; i < B * T; i++) {
                    if (t.tags()[i] == -100) continue;
                    sum += ce(out, i * K, 1, K, t.tags()[i]);
                    count++;
                }
                yield sum / count;
            }
            case HeadTargets.Spans s -> {
                double start = 0, end = 0;
                int ns = 0, ne = 0;
                for (int b = 0; b < B; b++) {
                    int ps = Math.min(Math.max(s.start()[b], 0), T), pe = Math.min(Math.max(s.end()[b], 0), T);
                    if (ps < T) {
                        start += ce(out, b * T * 2, 2, T, ps);
                        ns++;
                    }
                    if (pe < T) {
                        end += ce(out, b * T * 2 + 1, 2, T, pe);
                        ne++;
                    }
                }
                yield (start / ns + end / ne) / 2;
            }
        };
    }

    /** -log softmax(x[off], x[off + stride], ...)[target] over n entries. */
    private static double ce(double[] x, int off, int stride, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[off + j * stride]);
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(x[off + j * stride] - max);
        return max + Math.log(s) - x[off + target * stride];
    }

    /** HF: (token_indices * (ids != pad)).argmax(-1), the first maximum; without a pad token, T - 1. */
    static int pooled(NemotronConfig c, Batch batch, int b) {
        int T = batch.seq();
        if (!c.hasPadToken()) return T - 1;
        int best = 0, bestValue = -1;
        for (int t = 0; t < T; t++) {
            int value = batch.ids()[b * T + t] != c.padTokenId() ? t : 0;
            if (value > bestValue) {
                bestValue = value;
                best = t;
            }
        }
        return best;
    }
}
