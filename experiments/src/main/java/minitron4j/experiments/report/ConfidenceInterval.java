package minitron4j.experiments.report;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

import java.util.Locale;

/**
 * A point estimate with a 95% confidence interval [lower, upper] from n observations. Intervals that
 * n cannot support (a mean of one seed) have NaN bounds rather than a made-up width.
 */
public record ConfidenceInterval(double estimate, double lower, double upper, long n) {

    /**
     * Mean of independent runs (e.g. seeds) with the Student-t interval: mean +- t(0.975, n-1) * s / sqrt(n),
     * s the sample standard deviation.
     */
    public static ConfidenceInterval mean95(double[] values) {
        if (values.length == 0) throw new IllegalArgumentException("mean95 of no values");
        SummaryStatistics stats = new SummaryStatistics();
        for (double v : values) stats.addValue(v);
        double mean = stats.getMean();
        if (values.length < 2) return new ConfidenceInterval(mean, Double.NaN, Double.NaN, 1);
        double t = new TDistribution(values.length - 1).inverseCumulativeProbability(0.975);
        double half = t * stats.getStandardDeviation() / Math.sqrt(values.length);
        return new ConfidenceInterval(mean, mean - half, mean + half, values.length);
    }

    /**
     * An accuracy of successes out of n trials with the Wilson score interval, which stays inside
     * [0, 1] and is sensible at accuracies near 0 or 1 and at the small n of quick evaluations.
     */
    public static ConfidenceInterval wilson95(long successes, long n) {
        if (n <= 0) throw new IllegalArgumentException("an accuracy needs n > 0 trials, got " + n);
        if (successes < 0 || successes > n)
            throw new IllegalArgumentException("successes " + successes + " outside [0, " + n + "]");
        double p = (double) successes / n;
        var ci = new WilsonScoreInterval().createInterval((int) n, (int) successes, 0.95);
        // At p = 0 or 1 the bound is p exactly; rounding can put it a hair on the wrong side.
        return new ConfidenceInterval(p, Math.max(0, Math.min(p, ci.getLowerBound())), Math.min(1, Math.max(p, ci.getUpperBound())), n);
    }

    /** Half the width of the interval (NaN when there is none). */
    public double halfWidth() {
        return (upper - lower) / 2;
    }

    /** "0.412 [0.345, 0.481]" with the given number of decimals, or just the estimate when there is no interval. */
    public String format(int decimals) {
        String f = "%." + decimals + "f";
        if (Double.isNaN(lower)) return String.format(Locale.ROOT, f, estimate);
        return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", estimate, lower, upper);
    }
}
