package minitron4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy when temperature is 0; otherwise HF's order of
 * warpers (temperature, then top-k, then top-p) and a draw from the remaining distribution.
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final SplittableRandom random;

    public Sampler(float temperature, int topK, float topP, long seed) {
        // Written so that NaN fails each check too.
        if (!(temperature >= 0 && temperature < Float.POSITIVE_INFINITY))
            throw new IllegalArgumentException("--temperature must be a finite number >= 0 (0: greedy), got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        if (topK < 0) throw new IllegalArgumentException("--top-k must be >= 0, got " + topK);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 0, 1f, 0);
    }

    /** The next id from logits[off, off+vocab). */
    public int next(float[] logits, int off, int vocab) {
        if (temperature == 0) return argmax(logits, off, vocab);
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
        int keep = topK > 0 ? Math.min(topK, vocab) : vocab;
        double max = logits[off + order[0]] / temperature;
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[off + order[i]] / temperature - max);
            sum += p[i];
        }
        // top-p keeps the smallest prefix whose mass reaches topP (at least one token).
        double cum = 0;
        int cut = keep;
        for (int i = 0; i < keep; i++) {
            cum += p[i] / sum;
            if (cum >= topP) {
                cut = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) total += p[i];
        double r = random.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= p[i];
            if (r <= 0) return order[i];
        }
        return order[cut - 1];
    }

    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[off + i] > x[off + best]) best = i;
        return best;
    }
}
