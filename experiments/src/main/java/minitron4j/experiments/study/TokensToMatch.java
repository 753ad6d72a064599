package minitron4j.experiments.study;

import minitron4j.experiments.report.PairedBootstrap;

import java.util.Arrays;
import java.util.Locale;

/**
 * How many times one arm's tokens the scratch student needs to reach a target CE (the pruned and
 * distilled student's): the scratch curve's CE at budgets m_1 < ... < m_k (multiples of the arm's
 * tokens) is interpolated linearly in log tokens between the first budget at or below the target and
 * the one before it. Below the smallest budget the answer is "at most m_1"; above the largest, "more
 * than m_k" (infinite). The interval comes from resampling the held-out windows in blocks, as
 * {@link PairedBootstrap} does, with every curve point and the target recomputed on each resample;
 * it holds which text was held out, not how much another training run would differ.
 *
 * @param multiple the point estimate (m_1 when the first budget already reaches the target; +inf when none does)
 * @param lower    2.5% percentile over resamples
 * @param upper    97.5% percentile (+inf when more than 2.5% of resamples never reach the target)
 */
public record TokensToMatch(double multiple, double lower, double upper, double[] multiples) {

    /**
     * @param curve  [budget][window] summed CE of the scratch student at each budget
     * @param target [window] summed CE of the model to match, on the same windows
     * @param tokens [window] predicted positions
     */
    public static TokensToMatch estimate(double[] multiples, double[][] curve, double[] target, int[] tokens, long seed) {
        int n = tokens.length;
        for (double[] c : curve)
            if (c.length != n) throw new IllegalArgumentException("the curve's windows differ from the target's: " + c.length + " vs " + n);
        if (target.length != n) throw new IllegalArgumentException("target windows " + target.length + " vs " + n);
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        double estimate = crossingOn(all, multiples, curve, target, tokens);
        int[][] picks = PairedBootstrap.resamples(n, seed);
        double[] resampled = new double[picks.length];
        for (int r = 0; r < picks.length; r++) resampled[r] = crossingOn(picks[r], multiples, curve, target, tokens);
        // Nearest-rank percentiles: resamples that never reach the target are +inf, which interpolation would turn into NaN.
        Arrays.sort(resampled);
        return new TokensToMatch(estimate, nearestRank(resampled, 0.025), nearestRank(resampled, 0.975), multiples.clone());
    }

    /** The crossing of the curve and target computed over the windows picked (with repeats). */
    private static double crossingOn(int[] picks, double[] multiples, double[][] curve, double[] target, int[] tokens) {
        long t = 0;
        double targetSum = 0;
        double[] y = new double[multiples.length];
        for (int i : picks) {
            t += tokens[i];
            targetSum += target[i];
            for (int b = 0; b < multiples.length; b++) y[b] += curve[b][i];
        }
        for (int b = 0; b < multiples.length; b++) y[b] /= t;
        return crossing(multiples, y, targetSum / t);
    }

    private static double nearestRank(double[] sorted, double q) {
        return sorted[(int) Math.max(0, Math.ceil(q * sorted.length) - 1)];
    }

    /** The multiple where the curve y (falling with more tokens) first reaches target, in log tokens. */
    static double crossing(double[] multiples, double[] y, double target) {
        if (y[0] <= target) return multiples[0];
        for (int b = 1; b < y.length; b++)
            if (y[b] <= target) {
                double f = (y[b - 1] - target) / (y[b - 1] - y[b]);
                return Math.exp(Math.log(multiples[b - 1]) + f * (Math.log(multiples[b]) - Math.log(multiples[b - 1])));
            }
        return Double.POSITIVE_INFINITY;
    }

    /** "6.3x [3.1x, 12.0x]", "more than 16x", "at most 1x". */
    public String format() {
        return bound(multiple) + " [" + bound(lower) + ", " + bound(upper) + "]";
    }

    private String bound(double m) {
        if (Double.isInfinite(m)) return "more than " + StudyRunner.budgetLabel(multiples[multiples.length - 1]) + "x";
        if (m == multiples[0]) return "at most " + StudyRunner.budgetLabel(multiples[0]) + "x";
        return String.format(Locale.ROOT, "%.1fx", m);
    }
}
