package minitron4j.kernels;

/** Plain-loop twins of {@link VectorMath}. */
public final class VectorMathReference {
    private VectorMathReference() {}

    public static int firstNonFinite(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(x[off + i])) return i;
        return -1;
    }

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    public static float sum(float[] x, int off, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    public static void scale(float[] x, int off, int n, float alpha) {
        for (int i = 0; i < n; i++) x[off + i] *= alpha;
    }

    public static float sumSquaredDeviation(float[] x, int off, int n, float mean) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            float d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }

    public static float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    public static double sumExp(float[] x, int off, int n, float divisor, float shift) {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] / divisor - shift);
        return s;
    }

    public static float expInPlace(float[] x, int off, int n, float shift) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - shift);
            s += x[off + i];
        }
        return s;
    }
}
