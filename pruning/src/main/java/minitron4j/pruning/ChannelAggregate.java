package minitron4j.pruning;

import java.util.Arrays;

/**
 * One {@link Aggregation} over a stream of values per channel, in double: every step adds one
 * value to each channel ({@link #add} for each channel, then {@link #next}). The sequence
 * aggregation of a sample and the batch aggregation over samples are both instances of it.
 * Variance uses Welford's update so that large means do not cancel the variance away.
 */
final class ChannelAggregate {
    private final Aggregation aggregation;
    private final double[] sum;   // sum |a|, sum a^2, or the M2 of Welford
    private final double[] mean;  // running mean (variance only)
    private long count;

    ChannelAggregate(Aggregation aggregation, int channels) {
        this.aggregation = aggregation;
        this.sum = new double[channels];
        this.mean = aggregation == Aggregation.VAR ? new double[channels] : null;
    }

    int channels() {
        return sum.length;
    }

    long count() {
        return count;
    }

    void reset() {
        Arrays.fill(sum, 0);
        if (mean != null) Arrays.fill(mean, 0);
        count = 0;
    }

    /** Adds the value of channel c for the current step. */
    void add(int c, double a) {
        switch (aggregation) {
            case MEAN -> sum[c] += Math.abs(a);
            case L2 -> sum[c] += a * a;
            case VAR -> {
                double d = a - mean[c];
                mean[c] += d / (count + 1);
                sum[c] += d * (a - mean[c]);
            }
        }
    }

    /** Closes the current step: every channel has received its value. */
    void next() {
        count++;
    }

    /** The aggregate of channel c over the steps so far (0 before any step). */
    double value(int c) {
        if (count == 0) return 0;
        return switch (aggregation) {
            case MEAN, VAR -> sum[c] / count;
            case L2 -> Math.sqrt(sum[c]);
        };
    }
}
