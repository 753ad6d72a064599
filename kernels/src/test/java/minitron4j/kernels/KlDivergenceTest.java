package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector row kernels of {@link KlDivergence} against plain fp64 loops, at lengths around the vector width. */
class KlDivergenceTest {
    private static final int[] LENGTHS = {1, 7, 16, 17, 33, 100, 1031};

    @Test
    void rowAndGradientMatchFp64Loops() {
        Random rnd = new Random(11);
        for (int n : LENGTHS) {
            for (float tau : new float[] {1f, 2f, 0.7f}) {
                int off = 3;
                float[] s = new float[n + off], t = new float[n + off], acc = new float[n + off];
                for (int j = 0; j < n + off; j++) {
                    s[j] = (float) rnd.nextGaussian() * 4;
                    t[j] = (float) rnd.nextGaussian() * 4;
                    acc[j] = rnd.nextFloat();
                }
                double lseS = KlDivergence.logSumExpScaled(s, off, n, tau), lseT = KlDivergence.logSumExpScaled(t, off, n, tau);
                double lseCe = CrossEntropy.logSumExp(s, off, n);
                double want = 0;
                for (int j = 0; j < n; j++) {
                    double lt = t[off + j] / (double) tau - lseT, ls = s[off + j] / (double) tau - lseS;
                    want += Math.exp(lt) * (lt - ls);
                }
                assertEquals(want, KlDivergence.row(s, t, off, n, tau, lseS, lseT), 1e-5 * (1 + Math.abs(want)), "KL n=" + n + " tau=" + tau);

                float[] grad = acc.clone();
                KlDivergence.gradientRow(grad, s, t, off, n, tau, lseS, lseT, 0.25f, true, 0.5f, (float) lseCe);
                for (int j = 0; j < n; j++) {
                    double q = Math.exp(s[off + j] / (double) tau - lseS), p = Math.exp(t[off + j] / (double) tau - lseT);
                    double g = acc[off + j] + 0.25 * (q - p) + 0.5 * Math.exp(s[off + j] - lseCe);
                    assertEquals(g, grad[off + j], 1e-6 * (1 + Math.abs(g)), "gradient n=" + n + " tau=" + tau + " j=" + j);
                }
                for (int j = 0; j < off; j++) assertEquals(acc[j], grad[j], 0f, "outside the row");
            }
        }
    }
}
