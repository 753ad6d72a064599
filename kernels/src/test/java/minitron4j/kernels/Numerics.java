package minitron4j.kernels;

import java.util.Random;
import java.util.function.DoubleSupplier;

/** Helpers the kernel tests share: random inputs, double copies and central differences. */
final class Numerics {
    private Numerics() {}

    /** n values uniform in (-scale, scale). */
    static float[] random(Random rnd, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return v;
    }

    static float[] filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    /** d f / d v[i] by central differences in double, f reading v. */
    static double derivative(double[] v, int i, DoubleSupplier f) {
        double keep = v[i], step = 1e-6 * Math.max(1, Math.abs(keep));
        v[i] = keep + step;
        double up = f.getAsDouble();
        v[i] = keep - step;
        double down = f.getAsDouble();
        v[i] = keep;
        return (up - down) / (2 * step);
    }

    /** sum_i g[i] y[i]: the scalar whose gradient with respect to y is g. */
    static double dot(double[] g, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += g[i] * y[i];
        return s;
    }
}
