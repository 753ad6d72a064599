package minitron4j.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written backward pass against central finite differences of a double-precision
 * reference forward, on a tiny model with odd sizes, GQA, padding, tied and untied heads.
 */
class GradientCheckTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void backwardMatchesFiniteDifferences(boolean tied) {
        NemotronConfig c = NemotronConfig.of(37, 12, 19, 2, 4, 2, 8, tied);
        Parameters p = Parameters.initialize(c, 7);
        SplittableRandom r = new SplittableRandom(3);
        for (Tensor t : p.tensors()) // non-trivial norm weights so their gradients are tested too
            if (t.name().contains("norm")) for (int i = 0; i < t.size(); i++) t.data()[i] = (float) (r.nextDouble() - 0.5) * 0.4f;
        for (Tensor t : p.tensors()) if (!t.name().contains("norm")) for (int i = 0; i < t.size(); i++) t.data()[i] *= 8;
        int[] ids = new int[2 * 7];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(37);
        Batch batch = new Batch(ids, 2, 7, new int[]{7, 4});

        Nemotron model = new Nemotron(p);
        Parameters grads = Parameters.zeros(c);
        double loss = model.crossEntropyStep(batch, model.trainingActivations(2, 7), grads, 1f);
        assertEquals(ReferenceNemotron.crossEntropy(p, batch), loss, 1e-5 * loss);

        for (Tensor t : p.tensors()) {
            float[] g = grads.data(t.name());
            double maxAbs = 0;
            for (float v : g) maxAbs = Math.max(maxAbs, Math.abs(v));
            assertTrue(maxAbs > 0, t.name() + " has an all-zero gradient");
            for (int trial = 0; trial < 6; trial++) {
                int i = r.nextInt(t.size());
                double fd = CentralDifference.of(t, i, () -> ReferenceNemotron.crossEntropy(p, batch));
                assertEquals(fd, g[i], 2e-3 * maxAbs + 1e-6, t.name() + "[" + i + "]");
            }
        }
    }
}
