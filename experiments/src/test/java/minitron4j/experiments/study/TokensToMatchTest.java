package minitron4j.experiments.study;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokensToMatchTest {
    private static final double[] MULTIPLES = {1, 4, 16};

    @Test
    void crossingIsInterpolatedInLogTokens() {
        // CE 5.0 at 1x, 4.6 at 4x, 4.2 at 16x; the target 4.4 lies half-way from 4x to 16x in CE, so at 8x in log tokens.
        assertEquals(8, TokensToMatch.crossing(MULTIPLES, new double[]{5.0, 4.6, 4.2}, 4.4), 1e-9);
        assertEquals(1, TokensToMatch.crossing(MULTIPLES, new double[]{4.0, 3.9, 3.8}, 4.4), "reached at the first budget");
        assertEquals(Double.POSITIVE_INFINITY, TokensToMatch.crossing(MULTIPLES, new double[]{5.0, 4.9, 4.8}, 4.4));
    }

    /** Every window has the same CE per token, so resampling cannot move the answer. */
    private static TokensToMatch uniform(double[] curve, double target) {
        int n = 50;
        double[][] sums = new double[curve.length][n];
        double[] t = new double[n];
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 10;
            t[i] = 10 * target;
            for (int b = 0; b < curve.length; b++) sums[b][i] = 10 * curve[b];
        }
        return TokensToMatch.estimate(MULTIPLES, sums, t, tokens, 1);
    }

    @Test
    void estimatesAndBoundsAreFormattedAsMultiples() {
        TokensToMatch m = uniform(new double[]{5.0, 4.6, 4.2}, 4.4);
        assertEquals(8, m.multiple(), 1e-9);
        assertEquals("8.0x [8.0x, 8.0x]", m.format());
        assertEquals("more than 16x [more than 16x, more than 16x]", uniform(new double[]{5.0, 4.9, 4.8}, 4.4).format());
        assertEquals("at most 1x [at most 1x, at most 1x]", uniform(new double[]{4.0, 3.9, 3.8}, 4.4).format());
    }

    /**
     * 200 windows of 100 tokens: the curve's and the target's CE per token plus a difficulty shared by
     * all models (up to hardness) and noise of standard deviation sd of each model's own.
     */
    private static TokensToMatch noisy(double[] curve, double target, double hardness, double sd, long seed) {
        int n = 200;
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[][] sums = new double[curve.length][n];
        double[] t = new double[n];
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = 100;
            double hard = hardness * r.nextDouble();
            t[i] = 100 * (target + hard + sd * r.nextGaussian());
            for (int b = 0; b < curve.length; b++) sums[b][i] = 100 * (curve[b] + hard + sd * r.nextGaussian());
        }
        return TokensToMatch.estimate(MULTIPLES, sums, t, tokens, 1);
    }

    @Test
    void resamplesThatNeverReachTheTargetMakeTheUpperBoundOpen() {
        // The last budget lands just below the target on average; many resamples leave it above: "more than 16x".
        TokensToMatch m = noisy(new double[]{5.0, 4.6, 4.399}, 4.4, 0, 0.3, 5);
        assertTrue(Double.isInfinite(m.upper()) && Double.isFinite(m.lower()), m.format());
        assertTrue(m.format().endsWith("more than 16x]"), m.format());
    }

    @Test
    void noisyWindowsGiveAnIntervalAroundTheEstimate() {
        TokensToMatch m = noisy(new double[]{5.0, 4.6, 4.2}, 4.4, 1, 0.2, 3);
        assertTrue(m.lower() <= m.multiple() && m.multiple() <= m.upper(), m.format());
        assertTrue(m.lower() > 4 && m.upper() < 16, m.format());
    }
}
