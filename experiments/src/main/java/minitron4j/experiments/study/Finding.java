package minitron4j.experiments.study;

import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.experiments.report.PairedBootstrap;
import minitron4j.training.Evaluator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A direction the Minitron papers claim, tested on this study's models: a's held-out CE against b's,
 * as the difference a - b with a 95% interval from a paired bootstrap over the held-out windows
 * (each window's CE averaged over the seeds) and, with two seeds or more, a t-interval over the
 * per-seed differences. A {@link Claim#BELOW} claim is reproduced only when every interval lies below
 * zero; a {@link Claim#NOT_ABOVE} claim ("a is at least as good") unless every interval lies above
 * zero. With one seed the intervals hold which text was held out, not how much another training run
 * would differ, and the report says so.
 */
public record Finding(String claim, Claim kind, String a, String b, String stage, ConfidenceInterval windows,
                      ConfidenceInterval seeds, Verdict verdict) {

    /** What the papers say of a against b. */
    public enum Claim {
        /** a ends below b. */
        BELOW,
        /** a ends at or below b: b's extra machinery does not help. */
        NOT_ABOVE
    }

    public enum Verdict {
        REPRODUCED("**Reproduced**"), CONSISTENT("**Consistent** (no difference resolved)"),
        CONTRADICTED("**Not reproduced (the opposite holds)**"), UNRESOLVED("**Not resolved at this scale**");

        private final String text;

        Verdict(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** The bootstrap's seed: fixed, so that a report is reproducible from its run folder. */
    static final long BOOTSTRAP_SEED = 20_240_722L;

    /**
     * The finding "a below b" over the seeds where both arms ran, on the evaluation stage picks
     * (after pruning or after training); null when either arm did not run.
     */
    static Finding of(String claim, Claim kind, List<StudyRunner.ArmResult> arms, String a, String b, String stage,
                      Function<StudyRunner.ArmResult, Evaluator.Result> picks) {
        List<Evaluator.Result> as = new ArrayList<>(), bs = new ArrayList<>();
        for (StudyRunner.ArmResult x : arms) {
            if (!x.arm().equals(a)) continue;
            for (StudyRunner.ArmResult y : arms)
                if (y.arm().equals(b) && y.seed() == x.seed()) {
                    as.add(picks.apply(x));
                    bs.add(picks.apply(y));
                }
        }
        if (as.isEmpty()) return null;
        int[] tokens = as.get(0).windowTokens();
        for (Evaluator.Result r : bs)
            if (!Arrays.equals(tokens, r.windowTokens()))
                throw new IllegalStateException(a + " and " + b + " were scored on different held-out windows");
        ConfidenceInterval windows = PairedBootstrap.meanDifference(seedMean(as), seedMean(bs), tokens, BOOTSTRAP_SEED);
        ConfidenceInterval seeds = null;
        if (as.size() > 1) {
            double[] d = new double[as.size()];
            for (int i = 0; i < d.length; i++) d[i] = as.get(i).ceLoss() - bs.get(i).ceLoss();
            seeds = ConfidenceInterval.mean95(d);
        }
        return new Finding(claim, kind, a, b, stage, windows, seeds, verdict(kind, windows, seeds));
    }

    static Verdict verdict(Claim kind, ConfidenceInterval windows, ConfidenceInterval seeds) {
        boolean below = windows.upper() < 0 && (seeds == null || seeds.upper() < 0);
        boolean above = windows.lower() > 0 && (seeds == null || seeds.lower() > 0);
        if (below) return Verdict.REPRODUCED;
        if (above) return Verdict.CONTRADICTED;
        return kind == Claim.NOT_ABOVE ? Verdict.CONSISTENT : Verdict.UNRESOLVED;
    }

    /** Each window's summed CE averaged over the seeds' results (which share the windows). */
    static double[] seedMean(List<Evaluator.Result> results) {
        double[] mean = new double[results.get(0).windowCeSums().length];
        for (Evaluator.Result r : results) {
            if (r.windowCeSums().length != mean.length)
                throw new IllegalStateException("results evaluated on different windows: " + r.windowCeSums().length + " vs " + mean.length);
            for (int i = 0; i < mean.length; i++) mean[i] += r.windowCeSums()[i] / results.size();
        }
        return mean;
    }

    /** "width_kd - width_ce = -0.0123 [-0.0201, -0.0050] over 512 windows; over seeds ..." */
    String difference() {
        String s = String.format(Locale.ROOT, "%s - %s = %+.4f nats [%+.4f, %+.4f] (paired bootstrap over %d held-out windows)",
                a, b, windows.estimate(), windows.lower(), windows.upper(), windows.n());
        if (seeds != null)
            s += String.format(Locale.ROOT, "; over %d seeds %+.4f [%+.4f, %+.4f] (t)", seeds.n(), seeds.estimate(),
                    seeds.lower(), seeds.upper());
        return s;
    }
}
