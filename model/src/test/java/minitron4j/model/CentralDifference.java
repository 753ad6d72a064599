package minitron4j.model;

import java.util.function.DoubleSupplier;

/** The finite-difference side of the gradient checks: one entry of a tensor nudged both ways. */
final class CentralDifference {
    private CentralDifference() {
    }

    /**
     * d loss / d t[i] as (loss(t[i] + h) - loss(t[i] - h)) over the steps the float entry really took,
     * h = 1% of the entry (at least 1e-4); the entry is restored.
     */
    static double of(Tensor t, int i, DoubleSupplier loss) {
        float saved = t.data()[i];
        double h = 1e-2 * Math.max(1e-2, Math.abs(saved));
        t.data()[i] = (float) (saved + h);
        double hp = t.data()[i] - saved;
        double up = loss.getAsDouble();
        t.data()[i] = (float) (saved - h);
        double hm = saved - t.data()[i];
        double down = loss.getAsDouble();
        t.data()[i] = saved;
        return (up - down) / (hp + hm);
    }
}
