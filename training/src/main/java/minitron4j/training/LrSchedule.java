package minitron4j.training;

/**
 * The learning rate of each optimizer step, counted from 0. A pure function of the step, so a
 * resumed run sees exactly the rates an uninterrupted one would.
 */
public interface LrSchedule {

    /** The learning rate for optimizer step {@code step} (0-based). */
    double lr(int step);

    static LrSchedule constant(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("lr must be >= 0, got " + lr);
        return step -> lr;
    }

    /**
     * Linear warm-up over {@code warmup} steps (step 0 already gets peak/warmup, so no step is
     * wasted at lr 0), then half a cosine from peak down to {@code min} at the last of
     * {@code total} steps.
     */
    static LrSchedule warmupCosine(double peak, double min, int warmup, int total) {
        if (!(peak >= 0)) throw new IllegalArgumentException("lr must be >= 0, got " + peak);
        if (!(min >= 0 && min <= peak)) throw new IllegalArgumentException("min_lr must lie in [0, lr = " + peak + "], got " + min);
        if (warmup < 0) throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        if (total < 1) throw new IllegalArgumentException("steps must be >= 1, got " + total);
        int decaySteps = Math.max(1, total - 1 - warmup);
        return step -> {
            if (step < warmup) return peak * (step + 1) / warmup;
            double progress = Math.min(1.0, (double) (step - warmup) / decaySteps);
            return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
        };
    }
}
