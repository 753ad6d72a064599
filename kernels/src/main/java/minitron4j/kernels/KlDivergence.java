package minitron4j.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The distillation loss: for each counted position, KL(softmax(t/tau) || softmax(s/tau)) summed
 * over the vocabulary; the mean over positions; times tau^2 (so gradients keep their scale across
 * temperatures). Computed row by row with log-sum-exp: no [N, V] buffer beyond the logits.
 */
public final class KlDivergence {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int W = F.length();
    private KlDivergence() {}

    /** valid[N] (nullable = all) says which positions count; returns the loss. */
    public static double forward(float[] student, float[] teacher, boolean[] valid, int n, int vocab, float tau) {
        double[] part = new double[n];
        Parallel.forRange(n, 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                if (valid != null && !valid[i]) continue;
                int off = i * vocab;
                part[i] = row(student, teacher, off, vocab, tau, logSumExpScaled(student, off, vocab, tau),
                        logSumExpScaled(teacher, off, vocab, tau));
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
                gradientRow(grad, student, teacher, off, vocab, tau, logSumExpScaled(student, off, vocab, tau),
                        logSumExpScaled(teacher, off, vocab, tau), scale, accumulate, 0f, 0f);
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

    /**
     * One row's KL(p || q) = sum_j p_j (log p_j - log q_j), p = softmax(t/tau), q = softmax(s/tau),
     * given their log-normalisers lseT and lseS ({@link #logSumExpScaled}): the log-probabilities and
     * exponentials in fp32 vectors, the sum in fp64.
     */
    public static double row(float[] s, float[] t, int off, int n, float tau, double lseS, double lseT) {
        float fs = (float) lseS, ft = (float) lseT;
        DoubleVector k0 = DoubleVector.zero(D), k1 = k0;
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector lt = FloatVector.fromArray(F, t, off + j).div(tau).sub(ft);
            FloatVector ls = FloatVector.fromArray(F, s, off + j).div(tau).sub(fs);
            FloatVector term = VectorMath.exp(lt).mul(lt.sub(ls));
            k0 = k0.add(term.convertShape(VectorOperators.F2D, D, 0));
            k1 = k1.add(term.convertShape(VectorOperators.F2D, D, 1));
        }
        DoubleVector both = k0.add(k1);
        double kl = 0;
        for (int l = 0; l < D.length(); l++) kl += both.lane(l);
        for (; j < n; j++) {
            float lt = t[off + j] / tau - ft, ls = s[off + j] / tau - fs;
            kl += VectorMath.exp(lt) * (lt - ls);
        }
        return kl;
    }

    /**
     * grad[off+j] (+)= scale * (q_j - p_j) + ceScale * softmax(s)_j for one row (p, q as in {@link #row};
     * ceLse the log-sum-exp of s itself, read only when ceScale != 0: a cross-entropy term mixed into
     * the distillation, whose one-hot part the caller subtracts). grad may be s itself.
     */
    public static void gradientRow(float[] grad, float[] s, float[] t, int off, int n, float tau, double lseS, double lseT,
                                   float scale, boolean accumulate, float ceScale, float ceLse) {
        float fs = (float) lseS, ft = (float) lseT;
        int j = 0;
        for (; j <= n - W; j += W) {
            FloatVector sv = FloatVector.fromArray(F, s, off + j);
            FloatVector q = VectorMath.exp(sv.div(tau).sub(fs));
            FloatVector p = VectorMath.exp(FloatVector.fromArray(F, t, off + j).div(tau).sub(ft));
            FloatVector g = q.sub(p).mul(scale);
            if (ceScale != 0f) g = VectorMath.exp(sv.sub(ceLse)).fma(FloatVector.broadcast(F, ceScale), g);
            if (accumulate) g = g.add(FloatVector.fromArray(F, grad, off + j));
            g.intoArray(grad, off + j);
        }
        for (; j < n; j++) {
            float sj = s[off + j];
            float g = (VectorMath.exp(sj / tau - fs) - VectorMath.exp(t[off + j] / tau - ft)) * scale;
            if (ceScale != 0f) g = Math.fma(VectorMath.exp(sj - ceLse), ceScale, g);
            grad[off + j] = accumulate ? grad[off + j] + g : g;
        }
    }
}
