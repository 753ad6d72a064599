package minitron4j.kernels;

/**
 * The distillation loss: for each counted position, KL(softmax(t/tau) || softmax(s/tau)) summed
 * over the vocabulary; the mean over positions; times tau^2 (so gradients keep their scale across
 * temperatures). Computed row by row with log-sum-exp: no [N, V] buffer beyond the logits.
 */
public final class KlDivergence {
    private KlDivergence() {}

    /** valid[N] (nullable = all) says which positions count; returns the loss. */
    public static double forward(float[] student, float[] teacher, boolean[] valid, int n, int vocab, float tau) {
        double[] part = new double[n];
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                if (valid != null && !valid[i]) continue;
                int off = i * vocab;
                double lseS = logSumExpScaled(student, off, vocab, tau);
                double lseT = logSumExpScaled(teacher, off, vocab, tau);
                double kl = 0;
                for (int j = 0; j < vocab; j++) {
                    double lt = teacher[off + j] / tau - lseT;
                    double ls = student[off + j] / tau - lseS;
                    kl += Math.exp(lt) * (lt - ls);
                }
                part[i] = kl;
            }
        });
        int count = count(valid, n);
        double sum = 0;
        for (double p : part) sum += p;
        return count == 0 ? 0 : sum / count * tau * tau;
    }

    /**
     * grad[N,V] (+)= weight * tau * (softmax(s/tau) - softmax(t/tau)) / count, the gradient of
     * weight * forward(). grad may be the student array itself (then accumulate must be false).
     */
    public static void backward(float[] grad, float[] student, float[] teacher, boolean[] valid, int n, int vocab,
                                float tau, float weight, boolean accumulate) {
        int count = count(valid, n);
        float scale = count == 0 ? 0f : weight * tau / count;
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                int off = i * vocab;
                if (valid != null && !valid[i]) {
                    if (!accumulate) java.util.Arrays.fill(grad, off, off + vocab, 0f);
                    continue;
                }
                double lseS = logSumExpScaled(student, off, vocab, tau);
                double lseT = logSumExpScaled(teacher, off, vocab, tau);
                for (int j = 0; j < vocab; j++) {
                    float g = (float) (Math.exp(student[off + j] / tau - lseS) - Math.exp(teacher[off + j] / tau - lseT)) * scale;
                    grad[off + j] = accumulate ? grad[off + j] + g : g;
                }
            }
        });
    }

    static int count(boolean[] valid, int n) {
        if (valid == null) return n;
        int c = 0;
        for (int i = 0; i < n; i++) if (valid[i]) c++;
        return c;
    }

    /** log sum_j exp(x[off+j] / tau), stable. */
    public static double logSumExpScaled(float[] x, int off, int n, float tau) {
        float max = VectorMath.max(x, off, n) / tau;
        return max + Math.log(VectorMath.sumExp(x, off, n, tau, max));
    }
}
