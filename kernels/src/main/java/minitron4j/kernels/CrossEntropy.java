package minitron4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Next-token cross-entropy as HF defines it: mean over positions whose target is not
 * {@link #IGNORE} of -log softmax(logits)[target], computed with log-sum-exp.
 */
public final class CrossEntropy {
    public static final int IGNORE = -100;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    private CrossEntropy() {}

    /** Number of positions that count. */
    public static int count(int[] targets, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) if (targets[i] != IGNORE) c++;
        return c;
    }

    /** Per-row losses (0 for ignored rows) into rowLoss[N] when not null; returns the mean. */
    public static double forward(float[] logits, int[] targets, int n, int vocab, float[] rowLoss) {
        int count = count(targets, n);
        double[] part = new double[n];
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                int t = targets[i];
                if (t == IGNORE) continue;
                checkTarget(t, i, vocab);
                int off = i * vocab;
                part[i] = logSumExp(logits, off, vocab) - logits[off + t];
            }
        });
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += part[i];
            if (rowLoss != null) rowLoss[i] = (float) part[i];
        }
        return count == 0 ? 0 : sum / count;
    }

    /**
     * Overwrites logits with d(mean CE * weight)/d logits = weight * (softmax - onehot) / count, or
     * adds it into an existing gradient when accumulate; ignored rows get 0 (or are left untouched).
     * Working in place avoids a second [N, V] buffer.
     */
    public static void backwardInPlace(float[] logits, int[] targets, int n, int vocab, float weight,
                                       float[] grad, boolean accumulate) {
        int count = count(targets, n);
        float scale = count == 0 ? 0f : weight / count;
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                int off = i * vocab, t = targets[i];
                if (t == IGNORE) {
                    if (!accumulate) java.util.Arrays.fill(grad, off, off + vocab, 0f);
                    continue;
                }
                checkTarget(t, i, vocab);
                float lse = (float) logSumExp(logits, off, vocab);
                gradientRow(logits, off, vocab, lse, scale, grad, accumulate);
                grad[off + t] -= scale;
            }
        });
    }

    /** grad[off+j] (+)= exp(logits[off+j] - lse) * scale for j &lt; vocab; grad may be logits. */
    private static void gradientRow(float[] logits, int off, int vocab, float lse, float scale, float[] grad, boolean accumulate) {
        FloatVector shift = FloatVector.broadcast(F, lse);
        int j = 0;
        for (; j <= vocab - W; j += W) {
            FloatVector g = VectorMath.exp(FloatVector.fromArray(F, logits, off + j).sub(shift)).mul(scale);
            if (accumulate) g = g.add(FloatVector.fromArray(F, grad, off + j));
            g.intoArray(grad, off + j);
        }
        for (; j < vocab; j++) {
            float g = VectorMath.exp(logits[off + j] - lse) * scale;
            grad[off + j] = accumulate ? grad[off + j] + g : g;
        }
    }

    /** log sum_j exp(x[off+j]) over n entries, stable. */
    public static double logSumExp(float[] x, int off, int n) {
        float max = VectorMath.max(x, off, n);
        return max + Math.log(VectorMath.sumExp(x, off, n, 1f, max));
    }

    static void checkTarget(int t, int row, int vocab) {
        if (t < 0 || t >= vocab)
            throw new IllegalArgumentException("target id " + t + " at position " + row + " is outside the vocabulary [0, " + vocab + ")");
    }
}
