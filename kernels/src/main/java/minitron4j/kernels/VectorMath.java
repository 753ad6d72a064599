package minitron4j.kernels;

/**
 * Small dense helpers the ops are built from (dot products, axpy, sums). Each has a plain twin in
 * {@link VectorMathReference} used by the tests.
 */
public final class VectorMath {
    private VectorMath() {}

    /** sum_i a[aOff+i] * b[bOff+i] for i < n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return VectorMathReference.dot(a, aOff, b, bOff, n);
    }

    /** y[yOff+i] += alpha * x[xOff+i] for i < n. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        VectorMathReference.axpy(alpha, x, xOff, y, yOff, n);
    }

    /** sum_i x[off+i]. */
    public static float sum(float[] x, int off, int n) {
        return VectorMathReference.sum(x, off, n);
    }

    /** x[off+i] *= alpha. */
    public static void scale(float[] x, int off, int n, float alpha) {
        VectorMathReference.scale(x, off, n, alpha);
    }

    /** sum_i (x[off+i] - mean)^2: the variance numerator, two-pass for accuracy. */
    public static float sumSquaredDeviation(float[] x, int off, int n, float mean) {
        return VectorMathReference.sumSquaredDeviation(x, off, n, mean);
    }
}
