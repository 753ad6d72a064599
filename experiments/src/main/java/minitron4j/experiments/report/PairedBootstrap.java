package minitron4j.experiments.report;

import org.apache.commons.math3.stat.descriptive.rank.Percentile;

import java.util.SplittableRandom;

/**
 * The difference between two models' held-out CE with a 95% interval from a paired block bootstrap
 * over evaluation windows. Both models were scored on the same windows, so resampling windows (with
 * replacement) and recomputing the token-weighted mean difference keeps each window's pairing and
 * measures how much the gap depends on which text was held out. Windows next to each other come from
 * the same document and are correlated, so they are drawn in blocks of consecutive windows (at
 * most {@link #MAX_BLOCK}, at least 20 blocks): resampling single windows would count correlated
 * windows as independent evidence and give too narrow an interval. Percentile interval; seeded, so
 * a report is reproducible.
 */
public final class PairedBootstrap {
    /** Resamples per interval: the Monte Carlo error of the 2.5% and 97.5% percentiles is about 1% of the width. */
    public static final int RESAMPLES = 4000;
    /** The longest block of consecutive windows drawn together. */
    public static final int MAX_BLOCK = 16;

    private PairedBootstrap() {}

    /**
     * The window indices of each resample: whole blocks of consecutive windows drawn with
     * replacement until n windows are taken (the last block cut short).
     */
    public static int[][] resamples(int n, long seed) {
        if (n <= 0) throw new IllegalArgumentException("a bootstrap needs at least one window");
        int block = Math.max(1, Math.min(MAX_BLOCK, n / 20));
        int blocks = (n + block - 1) / block;
        SplittableRandom random = new SplittableRandom(seed);
        int[][] out = new int[RESAMPLES][n];
        for (int[] pick : out)
            for (int i = 0; i < n; ) {
                int start = random.nextInt(blocks) * block;
                for (int k = start; k < Math.min(n, start + block) && i < n; k++) pick[i++] = k;
            }
        return out;
    }

    /**
     * mean CE of a minus mean CE of b, token-weighted, over windows where a and b hold each window's
     * summed CE and tokens its predicted positions.
     */
    public static ConfidenceInterval meanDifference(double[] a, double[] b, int[] tokens, long seed) {
        int n = tokens.length;
        if (a.length != n || b.length != n)
            throw new IllegalArgumentException("paired windows differ in number: " + a.length + ", " + b.length + ", " + n);
        double[] diff = new double[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            diff[i] = a[i] - b[i];
            total += tokens[i];
        }
        if (total == 0) throw new IllegalArgumentException("the windows hold no predicted position");
        double estimate = 0;
        for (double d : diff) estimate += d;
        estimate /= total;
        int[][] picks = resamples(n, seed);
        double[] resampled = new double[picks.length];
        for (int r = 0; r < picks.length; r++) {
            double d = 0;
            long t = 0;
            for (int w : picks[r]) {
                d += diff[w];
                t += tokens[w];
            }
            resampled[r] = t == 0 ? estimate : d / t;
        }
        Percentile percentile = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
        percentile.setData(resampled);
        return new ConfidenceInterval(estimate, percentile.evaluate(2.5), percentile.evaluate(97.5), n);
    }
}
