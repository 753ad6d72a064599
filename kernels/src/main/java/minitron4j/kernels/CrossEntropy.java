package minitron4j.kernels;

/**
 * Next-token cross-entropy as HF defines it: mean over positions whose target is not
 * {@link #IGNORE} of -log softmax(logits)[target], computed with log-sum-exp.
 */
public final class CrossEntropy {
    public static final int IGNORE = -100;

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
                float lse = (float) logSumExp(logits, off, vocab);
                for (int j = 0; j < vocab; j++) {
                    float g = (float) Math.exp(logits[off + j] - lse) * scale;
                    if (j == t) g -= scale;
                    grad[off + j] = accumulate ? grad[off + j] + g : g;
                }
            }
        });
    }

    /** log sum_j exp(x[off+j]) over n entries, stable. */
    public static double logSumExp(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[off + j]);
        double s = 0;
        for (int j = 0; j < n; j++) s += Math.exp(x[off + j] - max);
        return max + Math.log(s);
    }

    static void checkTarget(int t, int row, int vocab) {
        if (t < 0 || t >= vocab)
            throw new IllegalArgumentException("target id " + t + " at position " + row + " is outside the vocabulary [0, " + vocab + ")");
    }
}
