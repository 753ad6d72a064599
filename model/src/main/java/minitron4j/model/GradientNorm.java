package minitron4j.model;

import minitron4j.kernels.Parallel;

/**
 * torch's clip_grad_norm_ over a set of gradient tensors: their global L2 norm (in double, summed in
 * blocks of fixed size combined in order, so the result does not depend on the thread count) and
 * the scaling by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm.
 */
public final class GradientNorm {
    private static final int BLOCK = 1 << 14;

    private GradientNorm() {}

    /** sqrt of the sum of squares of every entry; not finite when any entry is not. */
    public static double of(Iterable<Tensor> tensors) {
        double sum = 0;
        for (Tensor t : tensors) sum += sumOfSquares(t.data());
        return Math.sqrt(sum);
    }

    /** The clipping coefficient torch applies for this norm: min(1, maxNorm / (norm + 1e-6)); 1 when maxNorm &lt;= 0. */
    public static double clipCoefficient(double norm, double maxNorm) {
        if (maxNorm <= 0 || !Double.isFinite(norm)) return 1;
        return Math.min(1, maxNorm / (norm + 1e-6));
    }

    /** Scales every tensor by {@link #clipCoefficient} when it is below 1. */
    public static void clip(Iterable<Tensor> tensors, double norm, double maxNorm) {
        double coef = clipCoefficient(norm, maxNorm);
        if (coef >= 1) return;
        for (Tensor t : tensors) {
            float[] d = t.data();
            float c = (float) coef;
            Parallel.forRange(d.length, 8192, (s, e) -> {
                for (int i = s; i < e; i++) d[i] *= c;
            });
        }
    }

    private static double sumOfSquares(float[] d) {
        int blocks = (d.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forEach(blocks, b -> {
            double s = 0;
            for (int i = b * BLOCK, e = Math.min(d.length, i + BLOCK); i < e; i++) s += (double) d[i] * d[i];
            partial[b] = s;
        });
        double sum = 0;
        for (double p : partial) sum += p;
        return sum;
    }
}
