package minitron4j.experiments.study;

import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.training.Evaluator;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FindingTest {

    private static ConfidenceInterval ci(double lo, double hi) {
        return new ConfidenceInterval((lo + hi) / 2, lo, hi, 10);
    }

    @Test
    void aClaimIsReproducedOnlyWhenEveryIntervalIsOnItsSide() {
        Finding.Claim below = Finding.Claim.BELOW, notAbove = Finding.Claim.NOT_ABOVE;
        assertEquals(Finding.Verdict.REPRODUCED, Finding.verdict(below, ci(-0.3, -0.1), null));
        assertEquals(Finding.Verdict.REPRODUCED, Finding.verdict(below, ci(-0.3, -0.1), ci(-0.5, -0.01)));
        assertEquals(Finding.Verdict.UNRESOLVED, Finding.verdict(below, ci(-0.3, -0.1), ci(-0.5, 0.2)), "seeds disagree");
        assertEquals(Finding.Verdict.UNRESOLVED, Finding.verdict(below, ci(-0.1, 0.1), null));
        assertEquals(Finding.Verdict.CONTRADICTED, Finding.verdict(below, ci(0.1, 0.3), null));
        assertEquals(Finding.Verdict.CONSISTENT, Finding.verdict(notAbove, ci(-0.1, 0.1), null));
        assertEquals(Finding.Verdict.CONTRADICTED, Finding.verdict(notAbove, ci(0.1, 0.3), null));
        assertEquals(Finding.Verdict.REPRODUCED, Finding.verdict(notAbove, ci(-0.3, -0.1), null));
    }

    /** A result whose 40 windows of 10 tokens have CE per token ce + wobble (the same wobble for every model). */
    private static Evaluator.Result result(double ce) {
        double[] sums = new double[40];
        int[] tokens = new int[40];
        double total = 0;
        for (int i = 0; i < 40; i++) {
            tokens[i] = 10;
            sums[i] = 10 * (ce + 0.5 * Math.sin(i));
            total += sums[i];
        }
        return new Evaluator.Result(total / 400, Math.exp(total / 400), 400, 40, sums, tokens);
    }

    private static StudyRunner.ArmResult arm(String name, long seed, double ce) {
        return new StudyRunner.ArmResult(name, seed, 1, result(ce + 1), result(ce), 100, 1, Path.of("m"), Path.of("t"));
    }

    @Test
    void armsArePairedBySeedAndAveragedOverSeedsWindowByWindow() {
        List<StudyRunner.ArmResult> arms = List.of(arm("a", 0, 4.0), arm("b", 0, 4.1), arm("a", 1, 4.2), arm("b", 1, 4.25),
                arm("b", 2, 9.0));
        Finding f = Finding.of("a below b", Finding.Claim.BELOW, arms, "a", "b", "after training",
                StudyRunner.ArmResult::afterTraining);
        // seed 2 has no a: the pairs are seeds 0 and 1, differences -0.1 and -0.05
        assertEquals(-0.075, f.windows().estimate(), 1e-9);
        assertEquals(-0.075, f.seeds().estimate(), 1e-9);
        assertEquals(2, f.seeds().n());
        assertEquals(Finding.Verdict.UNRESOLVED, f.verdict(), "two seeds 0.05 apart give a wide t-interval: " + f.difference());
        assertArrayEquals(result(4.1).windowCeSums(), Finding.seedMean(List.of(result(4.0), result(4.2))), 1e-9);
        assertNull(Finding.of("x", Finding.Claim.BELOW, arms, "a", "missing", "after training", StudyRunner.ArmResult::afterTraining));
    }

    @Test
    void armsScoredOnDifferentWindowsAreNotPaired() {
        Evaluator.Result other = new Evaluator.Result(4, Math.exp(4), 390, 40, new double[40], new int[40]);
        List<StudyRunner.ArmResult> arms = List.of(arm("a", 0, 4.0),
                new StudyRunner.ArmResult("b", 0, 1, other, other, 100, 1, Path.of("m"), Path.of("t")));
        var e = assertThrows(IllegalStateException.class, () -> Finding.of("a below b", Finding.Claim.BELOW, arms, "a", "b",
                "after training", StudyRunner.ArmResult::afterTraining));
        assertTrue(e.getMessage().contains("different held-out windows"), e.getMessage());
    }
}
