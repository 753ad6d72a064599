package minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Float comparisons of whole arrays that name the worst entry, for this module's tests and the backends' tests. */
public final class FloatAsserts {
    private FloatAsserts() {}

    /** Every entry of got within tol (absolute) of want. */
    public static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " size");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": max |diff| " + worst + " at " + at + " > " + tol);
    }

    /** Every entry of got within relative times the largest |want| of want. */
    public static void assertCloseToScale(float[] want, float[] got, double relative, String what) {
        double max = 0;
        for (float v : want) max = Math.max(max, Math.abs(v));
        assertClose(want, got, relative * max + 1e-12, what);
    }
}
