package minitron4j.kernels;

import static minitron4j.kernels.Numerics.derivative;
import static minitron4j.kernels.Numerics.random;
import static minitron4j.kernels.Numerics.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link CrossEntropy} against HF's definition in double: the mean over counted positions of
 * -log softmax(logits)[target], positions with target -100 ignored; the backward against central
 * differences of that mean.
 */
class CrossEntropyTest {
    /** positions x vocabulary, odd sizes included. */
    private static final int[][] SHAPES = {{1, 1}, {1, 7}, {5, 33}, {13, 257}};

    private static double reference(double[] logits, int[] targets, int n, int vocab) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] == CrossEntropy.IGNORE) continue;
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < vocab; j++) max = Math.max(max, logits[i * vocab + j]);
            for (int j = 0; j < vocab; j++) z += Math.exp(logits[i * vocab + j] - max);
            sum += max + Math.log(z) - logits[i * vocab + targets[i]];
            count++;
        }
        return count == 0 ? 0 : sum / count;
    }

    /** Targets with about a quarter ignored, but at least one counted when n > 1. */
    private static int[] targets(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = i > 0 && rnd.nextInt(4) == 0 ? CrossEntropy.IGNORE : rnd.nextInt(vocab);
        return t;
    }

    @Test
    void forwardIsTheMeanOverCountedPositions() {
        Random rnd = new Random(1);
        for (int[] s : SHAPES) {
            int n = s[0], vocab = s[1];
            float[] logits = random(rnd, n * vocab, 8);
            int[] targets = targets(rnd, n, vocab);
            float[] rowLoss = new float[n];
            double loss = CrossEntropy.forward(logits, targets, n, vocab, rowLoss);
            assertEquals(reference(toDouble(logits), targets, n, vocab), loss, 1e-5, "[" + n + "," + vocab + "]");
            for (int i = 0; i < n; i++) {
                if (targets[i] == CrossEntropy.IGNORE) assertEquals(0f, rowLoss[i], "ignored row " + i);
                else assertEquals(reference(toDouble(logits), oneTarget(targets, i), n, vocab), rowLoss[i], 1e-5, "row " + i);
            }
        }
    }

    @Test
    void backwardMatchesCentralDifferencesTimesTheWeight() {
        Random rnd = new Random(2);
        float weight = 0.3f;
        for (int[] s : SHAPES) {
            int n = s[0], vocab = s[1];
            float[] logits = random(rnd, n * vocab, 4);
            int[] targets = targets(rnd, n, vocab);
            float[] grad = new float[n * vocab];
            CrossEntropy.backwardInPlace(logits, targets, n, vocab, weight, grad, false);
            double[] ld = toDouble(logits);
            for (int i = 0; i < n * vocab; i++) {
                double want = weight * derivative(ld, i, () -> reference(ld, targets, n, vocab));
                assertEquals(want, grad[i], 1e-6 + 1e-4 * Math.abs(want), "[" + n + "," + vocab + "] logit " + i);
            }
            // Accumulating adds the same gradient onto what is there; ignored rows stay as they were.
            float[] acc = Numerics.filled(n * vocab, 1f);
            CrossEntropy.backwardInPlace(logits, targets, n, vocab, weight, acc, true);
            for (int i = 0; i < n * vocab; i++) assertEquals(1f + grad[i], acc[i], 1e-6, "accumulated logit " + i);
            // In place: the logits buffer becomes its own gradient.
            float[] inPlace = logits.clone();
            CrossEntropy.backwardInPlace(inPlace, targets, n, vocab, weight, inPlace, false);
            for (int i = 0; i < n * vocab; i++) assertEquals(grad[i], inPlace[i], 0f, "in place logit " + i);
        }
    }

    @Test
    void noCountedPositionGivesZeroLossAndGradient() {
        int[] ignored = {CrossEntropy.IGNORE, CrossEntropy.IGNORE};
        float[] logits = random(new Random(3), 2 * 5, 1), grad = Numerics.filled(10, 7f);
        assertEquals(0.0, CrossEntropy.forward(logits, ignored, 2, 5, null));
        CrossEntropy.backwardInPlace(logits, ignored, 2, 5, 1f, grad, false);
        for (float g : grad) assertEquals(0f, g);
    }

    @Test
    void logSumExpIsStableForLargeLogits() {
        float[] big = {1e4f, 1e4f - 1, -1e4f};
        assertEquals(1e4 + Math.log(1 + Math.exp(-1)), CrossEntropy.logSumExp(big, 0, 3), 1e-3);
        float[] row = {1000f, 0f, -1000f};
        assertEquals(0.0, CrossEntropy.forward(row, new int[] {0}, 1, 3, null), 1e-6);
        assertTrue(Double.isFinite(CrossEntropy.forward(row, new int[] {2}, 1, 3, null)));
    }

    @Test
    void targetsOutsideTheVocabularyAreRefusedWithTheirPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.forward(new float[6], new int[] {0, 3}, 2, 3, null));
        assertTrue(e.getMessage().contains("target id 3 at position 1"), e.getMessage());
        // the gradient too: a target past the vocabulary would land in the next row
        float[] grad = new float[6];
        e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.backwardInPlace(new float[6], new int[] {3, 0}, 2, 3, 1f, grad, false));
        assertTrue(e.getMessage().contains("target id 3 at position 0"), e.getMessage());
    }

    private static int[] oneTarget(int[] targets, int keep) {
        int[] t = new int[targets.length];
        java.util.Arrays.fill(t, CrossEntropy.IGNORE);
        t[keep] = targets[keep];
        return t;
    }
}
