package minitron4j.experiments.report;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairedBootstrapTest {

    /** Windows of 100 tokens whose CE differs by shift plus noise of standard deviation sd (per window mean). */
    private static double[][] pair(int n, double shift, double sd, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++) {
            double common = 4 + r.nextDouble(); // what both models find hard in this window
            b[i] = 100 * common;
            a[i] = 100 * (common + shift + sd * r.nextGaussian());
        }
        return new double[][]{a, b};
    }

    private static int[] tokens(int n) {
        int[] t = new int[n];
        java.util.Arrays.fill(t, 100);
        return t;
    }

    @Test
    void theEstimateIsTheTokenWeightedMeanDifferenceAndTheIntervalCoversIt() {
        double[][] ab = pair(400, -0.05, 0.1, 1);
        ConfidenceInterval ci = PairedBootstrap.meanDifference(ab[0], ab[1], tokens(400), 7);
        double sum = 0;
        for (int i = 0; i < 400; i++) sum += ab[0][i] - ab[1][i];
        assertEquals(sum / (400 * 100), ci.estimate(), 1e-12);
        assertTrue(ci.lower() < ci.estimate() && ci.estimate() < ci.upper(), ci.format(4));
        // The standard error of a mean of 400 values of sd 0.1 is 0.005: the 95% interval is about +-0.0098.
        assertEquals(0.0098, ci.halfWidth(), 0.002, ci.format(4));
        assertTrue(ci.upper() < 0, "a shift of 10 standard errors is resolved: " + ci.format(4));
        assertEquals(400, ci.n());
    }

    @Test
    void pairingRemovesWhatBothModelsShare() {
        // The windows' common difficulty varies by 1 nat, the difference by 0.01: only pairing resolves a 0.01 gap.
        double[][] ab = pair(200, -0.01, 0.01, 2);
        ConfidenceInterval ci = PairedBootstrap.meanDifference(ab[0], ab[1], tokens(200), 3);
        assertTrue(ci.upper() < 0, ci.format(4));
    }

    @Test
    void noDifferenceGivesAnIntervalAroundZeroAndTheSameSeedTheSameInterval() {
        double[][] ab = pair(300, 0, 0.1, 4);
        // Window i + 150 mirrors window i's difference (they lie in different blocks): the differences average exactly 0.
        for (int i = 0; i < 150; i++) ab[0][i + 150] = ab[1][i + 150] - (ab[0][i] - ab[1][i]);
        ConfidenceInterval ci = PairedBootstrap.meanDifference(ab[0], ab[1], tokens(300), 5);
        assertEquals(0, ci.estimate(), 1e-12);
        assertTrue(ci.lower() < 0 && ci.upper() > 0, ci.format(4));
        assertEquals(ci, PairedBootstrap.meanDifference(ab[0], ab[1], tokens(300), 5));
    }

    @Test
    void resamplesDrawWholeBlocksOfConsecutiveWindows() {
        int[][] picks = PairedBootstrap.resamples(400, 9);
        assertEquals(PairedBootstrap.RESAMPLES, picks.length);
        for (int[] pick : picks) {
            assertEquals(400, pick.length);
            for (int i = 0; i < 400; i += 16) {
                assertEquals(0, pick[i] % 16, "a block starts at a multiple of the block length");
                for (int k = 1; k < 16; k++) assertEquals(pick[i] + k, pick[i + k], "a block is consecutive windows");
            }
        }
        // Few windows: blocks of one, so each window is drawn alone.
        for (int[] pick : PairedBootstrap.resamples(19, 1)) for (int w : pick) assertTrue(w >= 0 && w < 19);
    }

    @Test
    void mismatchedWindowsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PairedBootstrap.meanDifference(new double[3], new double[2], new int[3], 0));
        assertTrue(e.getMessage().contains("differ"), e.getMessage());
    }
}
