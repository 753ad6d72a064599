package minitron4j.model.loss;

import minitron4j.kernels.CrossEntropy;
import minitron4j.kernels.KlDivergence;
import minitron4j.kernels.Parallel;
import minitron4j.model.Batch;

import java.util.Arrays;

/**
 * The distillation objective on logits: {@code logit_loss + ce_weight * ce_loss}, where the logit
 * loss is one of {@link LogitLossKind} (forward KL by default) over every real position and the CE
 * is HF's next-token cross-entropy over the predicted positions.
 *
 * <p>{@link #lossAndGradient} works row by row: for each position it first reduces the row to a
 * few scalars (log-sum-exps, norms, a KL value, the target's logit), then overwrites the row with
 * its gradient in one pass, so both terms are computed from the original logits without a second
 * [N, V] buffer. Every reduction runs in double, every exponent is shifted by its row's maximum.
 * The forward-KL arithmetic is that of {@link KlDivergence} (tested equal); it is fused here
 * because the CE term needs the student's logits after the KL gradient would have replaced them.
 *
 * @param kind     the logit loss
 * @param tau      temperature of the KL kinds (default 1); MSE and cosine ignore it
 * @param topK     teacher tokens kept by {@link LogitLossKind#TOP_K} (ignored by the others)
 * @param ceWeight weight of the cross-entropy term (default 0, the paper's best)
 */
public record DistillationLoss(LogitLossKind kind, double tau, int topK, double ceWeight) {

    /** The values of one batch: the objective, its logit loss and the CE (computed even at ce_weight 0). */
    public record Values(double objective, double logitLoss, double ceLoss) {
    }

    public DistillationLoss {
        if (kind == null) throw new IllegalArgumentException("loss kind is missing");
        if (!(tau > 0) || Double.isInfinite(tau)) throw new IllegalArgumentException("tau must be a positive number, got " + tau);
        if (kind == LogitLossKind.TOP_K && topK < 1) throw new IllegalArgumentException("top_k must be >= 1, got " + topK);
        if (!(ceWeight >= 0) || Double.isInfinite(ceWeight))
            throw new IllegalArgumentException("ce_weight must be a number >= 0, got " + ceWeight);
    }

    /** The paper's loss: forward KL at temperature tau, no CE. */
    public static DistillationLoss forwardKl(double tau) {
        return new DistillationLoss(LogitLossKind.FORWARD_KL, tau, 0, 0);
    }

    /**
     * Computes the objective on student logits [N, V] against teacher logits [N, V] of the same
     * batch and overwrites the student logits with {@code weight} times its gradient. Padded
     * positions get a zero gradient. Returns the unweighted values.
     */
    public Values lossAndGradient(float[] student, float[] teacher, Batch batch, int vocab, float weight) {
        int n = batch.tokens();
        if (student.length < (long) n * vocab || teacher.length < (long) n * vocab)
            throw new IllegalArgumentException("logits hold " + student.length + " (student) and " + teacher.length
                    + " (teacher) values, the batch needs N*V = " + n + "*" + vocab);
        boolean[] valid = batch.realMask();
        int[] targets = batch.nextTokenTargets();
        int distilled = count(valid), predicted = CrossEntropy.count(targets, n);
        double logitScale = distilled == 0 ? 0 : weight / (double) distilled;
        double ceScale = predicted == 0 ? 0 : weight * ceWeight / predicted;
        double[] logitPart = new double[n], cePart = new double[n];
        Parallel.forRange(n, 4, (start, end) -> {
            int[] kept = kind == LogitLossKind.TOP_K ? new int[Math.min(topK, vocab)] : null;
            for (int i = start; i < end; i++) {
                int off = i * vocab, y = targets[i];
                if (!valid[i]) {
                    Arrays.fill(student, off, off + vocab, 0f);
                    continue;
                }
                if (y != CrossEntropy.IGNORE && (y < 0 || y >= vocab))
                    throw new IllegalArgumentException("target id " + y + " at position " + i + " is outside the vocabulary [0, " + vocab + ")");
                Row row = new Row(student, teacher, off, vocab, y, y == CrossEntropy.IGNORE ? 0 : ceScale);
                if (y != CrossEntropy.IGNORE) cePart[i] = row.lse - student[off + y];
                logitPart[i] = switch (kind) {
                    case FORWARD_KL -> row.forwardKl(tau, logitScale);
                    case REVERSE_KL -> row.reverseKl(tau, logitScale);
                    case MSE -> row.mse(logitScale);
                    case COSINE -> row.cosine(logitScale);
                    case TOP_K -> row.topKl(tau, logitScale, kept);
                };
            }
        });
        double logit = 0, ce = 0;
        for (int i = 0; i < n; i++) {
            logit += logitPart[i];
            ce += cePart[i];
        }
        logit = distilled == 0 ? 0 : logit / distilled * (kind.usesTemperature() ? tau * tau : 1);
        ce = predicted == 0 ? 0 : ce / predicted;
        return new Values(logit + ceWeight * ce, logit, ce);
    }

    /** The real (unpadded) positions of a mask. */
    public static int count(boolean[] valid) {
        int c = 0;
        for (boolean v : valid) if (v) c++;
        return c;
    }

    /**
     * One position: the student row s = student[off .. off+V), the teacher row t, the CE target y
     * (or IGNORE) and the scalars every loss needs. Each loss method returns the row's loss (before
     * tau^2 and the mean) and overwrites s with logitScale * d loss / d s + ceScale * d CE / d s.
     */
    private static final class Row {
        final float[] s, t;
        final int off, vocab, y;
        final double ceScale;
        final double lse; // log sum exp(s), the CE's normaliser

        Row(float[] s, float[] t, int off, int vocab, int y, double ceScale) {
            this.s = s;
            this.t = t;
            this.off = off;
            this.vocab = vocab;
            this.y = y;
            this.ceScale = ceScale;
            this.lse = CrossEntropy.logSumExp(s, off, vocab);
        }

        /** d CE / d s_j times its scale, from the original s_j. */
        double ce(int j, double sj) {
            if (ceScale == 0) return 0;
            return (Math.exp(sj - lse) - (j == y ? 1 : 0)) * ceScale;
        }

        /** sum_j p_j (log p_j - log q_j), p = softmax(t/tau), q = softmax(s/tau); gradient tau (q - p). */
        double forwardKl(double tau, double scale) {
            float ft = (float) tau;
            double lseS = KlDivergence.logSumExpScaled(s, off, vocab, ft);
            double lseT = KlDivergence.logSumExpScaled(t, off, vocab, ft);
            double kl = KlDivergence.row(s, t, off, vocab, ft, lseS, lseT);
            KlDivergence.gradientRow(s, s, t, off, vocab, ft, lseS, lseT, (float) (tau * scale), false, (float) ceScale, (float) lse);
            if (ceScale != 0) s[off + y] -= (float) ceScale;
            return kl;
        }

        /** sum_j q_j (log q_j - log p_j); gradient tau q_j (log q_j - log p_j - KL). */
        double reverseKl(double tau, double scale) {
            float ft = (float) tau;
            double lseS = KlDivergence.logSumExpScaled(s, off, vocab, ft);
            double lseT = KlDivergence.logSumExpScaled(t, off, vocab, ft);
            double kl = 0;
            for (int j = 0; j < vocab; j++) {
                double ls = s[off + j] / ft - lseS, lt = t[off + j] / ft - lseT;
                kl += Math.exp(ls) * (ls - lt);
            }
            for (int j = 0; j < vocab; j++) {
                double sj = s[off + j];
                double ls = sj / ft - lseS, lt = t[off + j] / ft - lseT;
                s[off + j] = (float) (tau * Math.exp(ls) * (ls - lt - kl) * scale + ce(j, sj));
            }
            return kl;
        }

        /** mean_j (s_j - t_j)^2; gradient 2 (s_j - t_j) / V. */
        double mse(double scale) {
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                double d = (double) s[off + j] - t[off + j];
                sum += d * d;
            }
            for (int j = 0; j < vocab; j++) {
                double sj = s[off + j];
                s[off + j] = (float) (2 * (sj - t[off + j]) / vocab * scale + ce(j, sj));
            }
            return sum / vocab;
        }

        /**
         * 1 - s.t / (|s| |t|); gradient -(t / (|s| |t|) - cos s / |s|^2). A zero row has no direction:
         * its cosine is taken as 0 and its gradient as 0.
         */
        double cosine(double scale) {
            double dot = 0, ss = 0, tt = 0;
            for (int j = 0; j < vocab; j++) {
                double a = s[off + j], b = t[off + j];
                dot += a * b;
                ss += a * a;
                tt += b * b;
            }
            boolean degenerate = ss == 0 || tt == 0;
            double norms = Math.sqrt(ss * tt), cos = degenerate ? 0 : dot / norms;
            for (int j = 0; j < vocab; j++) {
                double sj = s[off + j];
                double g = degenerate ? 0 : -(t[off + j] / norms - cos * sj / ss);
                s[off + j] = (float) (g * scale + ce(j, sj));
            }
            return 1 - cos;
        }

        /**
         * sum over the teacher's top k tokens K of r_j (log r_j - log q_j), r = softmax over K of t/tau,
         * q = softmax(s/tau) over the whole vocabulary; gradient tau (q_j - r_j [j in K]).
         */
        double topKl(double tau, double scale, int[] kept) {
            float ft = (float) tau;
            topIndices(kept);
            double max = Double.NEGATIVE_INFINITY;
            for (int j : kept) max = Math.max(max, t[off + j] / ft);
            double sum = 0;
            for (int j : kept) sum += Math.exp(t[off + j] / ft - max);
            double lseK = max + Math.log(sum);
            double lseS = KlDivergence.logSumExpScaled(s, off, vocab, ft);
            double kl = 0;
            for (int j : kept) {
                double lr = t[off + j] / ft - lseK;
                kl += Math.exp(lr) * (lr - (s[off + j] / ft - lseS));
            }
            int next = 0; // kept is ascending: walk it alongside j
            for (int j = 0; j < vocab; j++) {
                double sj = s[off + j];
                double r = 0;
                if (next < kept.length && kept[next] == j) {
                    r = Math.exp(t[off + j] / ft - lseK);
                    next++;
                }
                s[off + j] = (float) (tau * (Math.exp(sj / ft - lseS) - r) * scale + ce(j, sj));
            }
            return kl;
        }

        /**
         * Fills kept with the indices of the kept.length largest teacher logits of this row, ascending;
         * between equal logits the lower index wins. A min-heap of the best so far: O(V log k).
         */
        void topIndices(int[] kept) {
            int k = kept.length, size = 0;
            for (int j = 0; j < vocab; j++) {
                if (size < k) {
                    kept[size] = j;
                    siftUp(kept, size++);
                } else if (better(j, kept[0])) {
                    kept[0] = j;
                    siftDown(kept, k);
                }
            }
            Arrays.sort(kept);
        }

        /** Whether token a ranks above token b: a larger logit, or the same logit at a lower index. */
        private boolean better(int a, int b) {
            float x = t[off + a], z = t[off + b];
            return x > z || (x == z && a < b);
        }

        private void siftUp(int[] heap, int i) {
            while (i > 0) {
                int parent = (i - 1) / 2;
                if (!better(heap[parent], heap[i])) return;
                swap(heap, i, parent);
                i = parent;
            }
        }

        private void siftDown(int[] heap, int size) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1, r = l + 1, worst = i;
                if (l < size && better(heap[worst], heap[l])) worst = l;
                if (r < size && better(heap[worst], heap[r])) worst = r;
                if (worst == i) return;
                swap(heap, i, worst);
                i = worst;
            }
        }

        private static void swap(int[] a, int i, int j) {
            int x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }
}
