package minitron4j.model;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW's update and the global gradient norm with clipping, as the backends' training applies them. */
class AdamWSettingsTest {
    static final NemotronConfig TINY = NemotronConfig.of(11, 8, 6, 1, 2, 1, 4, true);

    static Parameters random(long seed, double scale) {
        Parameters p = Parameters.zeros(TINY);
        SplittableRandom r = new SplittableRandom(seed);
        for (Tensor t : p.tensors()) for (int i = 0; i < t.size(); i++) t.data()[i] = (float) ((r.nextDouble() - 0.5) * scale);
        return p;
    }

    /** torch.optim.AdamW's update written out in double for one entry over several steps. */
    @Test
    void matchesTorchAdamWByHand() {
        Parameters params = random(1, 2), start = params.copy(), m = Parameters.zeros(TINY), v = Parameters.zeros(TINY);
        Parameters[] grads = {random(2, 1), random(3, 1), random(4, 1)};
        double lr = 1e-2, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        AdamWSettings settings = AdamWSettings.of(b1, b2, eps, wd);
        double[] lrs = {lr, lr * 0.5, lr * 0.25};
        for (int s = 0; s < grads.length; s++)
            for (Tensor p : params.tensors())
                settings.update(p, grads[s].data(p.name()), m.data(p.name()), v.data(p.name()), lrs[s], s + 1);

        for (String name : new String[]{"model.layers.0.mlp.up_proj.weight", "model.layers.0.input_layernorm.bias", "model.norm.weight"}) {
            boolean decays = Parameters.decays(name);
            assertEquals(name.endsWith("up_proj.weight"), decays, name);
            for (int i : new int[]{0, 3, 7}) {
                double p = start.data(name)[i], mm = 0, vv = 0;
                for (int s = 0; s < grads.length; s++) {
                    int t = s + 1;
                    double g = grads[s].data(name)[i];
                    p *= 1 - lrs[s] * (decays ? wd : 0);
                    mm = b1 * mm + (1 - b1) * g;
                    vv = b2 * vv + (1 - b2) * g * g;
                    double denom = Math.sqrt(vv) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                    p -= lrs[s] / (1 - Math.pow(b1, t)) * mm / denom;
                }
                assertEquals(p, params.data(name)[i], 1e-6 * Math.max(1, Math.abs(p)), name + "[" + i + "]");
                assertEquals(mm, m.data(name)[i], 1e-6, "exp_avg " + name);
                assertEquals(vv, v.data(name)[i], 1e-6, "exp_avg_sq " + name);
            }
        }
    }

    @Test
    void globalNormAndClipping() {
        Parameters g = random(5, 1);
        double sum = 0;
        for (Tensor t : g.tensors()) for (float x : t.data()) sum += (double) x * x;
        double norm = Math.sqrt(sum);
        assertEquals(norm, GradientNorm.of(g.tensors()), 1e-12 * norm);

        Parameters unclipped = g.copy();
        GradientNorm.clip(unclipped.tensors(), norm, norm * 2);
        for (Tensor t : g.tensors()) assertArrayEquals(t.data(), unclipped.data(t.name()), "below the limit nothing changes");

        GradientNorm.clip(g.tensors(), norm, 0.5);
        assertEquals(0.5, GradientNorm.of(g.tensors()), 1e-5);
        Parameters off = unclipped.copy();
        GradientNorm.clip(off.tensors(), norm, 0);
        assertEquals(norm, GradientNorm.of(off.tensors()), 1e-12 * norm, "clip 0 is off");
        off.data(Parameters.NORM_B)[1] = Float.NaN;
        assertTrue(Double.isNaN(GradientNorm.of(off.tensors())));
    }
}
