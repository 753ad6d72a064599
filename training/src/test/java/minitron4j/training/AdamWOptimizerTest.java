package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdamWOptimizerTest {
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
        Parameters params = random(1, 2), start = params.copy();
        Parameters[] grads = {random(2, 1), random(3, 1), random(4, 1)};
        double lr = 1e-2, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        AdamWOptimizer opt = new AdamWOptimizer(params, AdamWSettings.of(b1, b2, eps, wd));
        double[] lrs = {lr, lr * 0.5, lr * 0.25};
        for (int s = 0; s < grads.length; s++) opt.update(grads[s], lrs[s]);
        assertEquals(3, opt.step());

        for (String name : new String[]{"model.layers.0.mlp.up_proj.weight", "model.layers.0.input_layernorm.bias", "model.norm.weight"}) {
            boolean decays = Parameters.decays(name);
            assertEquals(name.endsWith("up_proj.weight"), decays, name);
            for (int i : new int[]{0, 3, 7}) {
                double p = start.data(name)[i], m = 0, v = 0;
                for (int s = 0; s < grads.length; s++) {
                    int t = s + 1;
                    double g = grads[s].data(name)[i];
                    p *= 1 - lrs[s] * (decays ? wd : 0);
                    m = b1 * m + (1 - b1) * g;
                    v = b2 * v + (1 - b2) * g * g;
                    double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                    p -= lrs[s] / (1 - Math.pow(b1, t)) * m / denom;
                }
                assertEquals(p, params.data(name)[i], 1e-6 * Math.max(1, Math.abs(p)), name + "[" + i + "]");
                assertEquals(m, opt.expAvg().data(name)[i], 1e-6, "exp_avg " + name);
                assertEquals(v, opt.expAvgSq().data(name)[i], 1e-6, "exp_avg_sq " + name);
            }
        }
    }

    @Test
    void globalNormAndClipping() {
        Parameters g = random(5, 1);
        double sum = 0;
        for (Tensor t : g.tensors()) for (float x : t.data()) sum += (double) x * x;
        double norm = Math.sqrt(sum);
        assertEquals(norm, AdamWOptimizer.globalNorm(g), 1e-12 * norm);

        Parameters unclipped = g.copy();
        assertEquals(norm, AdamWOptimizer.clipByGlobalNorm(unclipped, norm * 2), 1e-12 * norm);
        for (Tensor t : g.tensors()) assertArrayEquals(t.data(), unclipped.data(t.name()), "below the limit nothing changes");

        double returned = AdamWOptimizer.clipByGlobalNorm(g, 0.5);
        assertEquals(norm, returned, 1e-12 * norm, "the norm before clipping is returned");
        assertEquals(0.5, AdamWOptimizer.globalNorm(g), 1e-5);
        Parameters off = unclipped.copy();
        AdamWOptimizer.clipByGlobalNorm(off, 0);
        assertEquals(norm, AdamWOptimizer.globalNorm(off), 1e-12 * norm, "clip 0 is off");
    }

    @Test
    void firstNonFiniteNamesTheTensorAndEntry() {
        Parameters g = random(6, 1);
        assertNull(AdamWOptimizer.firstNonFinite(g));
        g.data("model.layers.0.self_attn.k_proj.weight")[5] = Float.POSITIVE_INFINITY;
        g.data("model.norm.bias")[1] = Float.NaN;
        assertEquals("model.layers.0.self_attn.k_proj.weight[5] = Infinity", AdamWOptimizer.firstNonFinite(g));
        assertTrue(Double.isNaN(AdamWOptimizer.clipByGlobalNorm(g, 1.0)));
    }

    @Test
    void stateRoundTripsThroughAFile(@TempDir Path dir) throws Exception {
        Parameters params = random(7, 1);
        AdamWOptimizer opt = new AdamWOptimizer(params, AdamWSettings.of(0.9, 0.95, 1e-8, 0.1));
        opt.update(random(8, 1), 1e-3);
        opt.update(random(9, 1), 1e-3);
        Path file = dir.resolve("optimizer.safetensors");
        opt.save(file);

        AdamWOptimizer back = new AdamWOptimizer(params.copy(), opt.settings());
        back.load(file);
        assertEquals(2, back.step());
        for (Tensor t : opt.expAvg().tensors()) {
            assertArrayEquals(t.data(), back.expAvg().data(t.name()), t.name());
            assertArrayEquals(opt.expAvgSq().data(t.name()), back.expAvgSq().data(t.name()), t.name());
        }

        AdamWOptimizer other = new AdamWOptimizer(Parameters.zeros(TINY.withShape(8, 2, 1, 7, 1)), opt.settings());
        Exception e = assertThrows(java.io.IOException.class, () -> other.load(file));
        assertTrue(e.getMessage().contains("exp_avg.model.layers.0.mlp.up_proj.weight"), e.getMessage());
    }

    /** An objective's extra tensor is clipped, updated and saved exactly like a model tensor with the same values. */
    @Test
    void extraTensorsAreTreatedLikeTheModels(@TempDir Path dir) throws Exception {
        Parameters params = random(10, 1), grads = random(11, 1);
        String twin = "model.layers.0.mlp.up_proj.weight";
        Tensor value = params.get(twin).copy().renamed("projection.weight");
        TrainableTensor extra = new TrainableTensor(value, grads.get(twin).copy().renamed("projection.weight"));
        AdamWSettings noDecay = AdamWSettings.of(0.9, 0.95, 1e-8, 0);
        AdamWOptimizer opt = new AdamWOptimizer(params, List.of(extra), noDecay);

        double twinNorm = Math.sqrt(Arrays.stream(toDouble(grads.data(twin))).map(x -> x * x).sum());
        double modelNorm = AdamWOptimizer.globalNorm(grads);
        double norm = AdamWOptimizer.clipByGlobalNorm(grads, opt.extraGradients(), 0.5);
        assertEquals(Math.sqrt(modelNorm * modelNorm + twinNorm * twinNorm), norm, 1e-6 * norm);
        opt.update(grads, 1e-2);
        assertArrayEquals(grads.data(twin), extra.gradient().data(), "clipped alike");
        assertArrayEquals(params.data(twin), value.data(), "updated alike");

        Path file = dir.resolve("optimizer.safetensors");
        opt.save(file);
        TrainableTensor fresh = TrainableTensor.of(Tensor.zeros("projection.weight", value.shape()));
        System.arraycopy(grads.data(twin), 0, fresh.gradient().data(), 0, value.size());
        AdamWOptimizer back = new AdamWOptimizer(params.copy(), List.of(fresh), noDecay);
        back.load(file);
        float[] before = value.data().clone();
        opt.update(grads, 1e-2);
        back.update(grads, 1e-2);
        // without weight decay a step moves by an amount that depends only on the moments and the gradient
        for (int i = 0; i < before.length; i++) assertEquals(value.data()[i] - before[i], fresh.value().data()[i], 1e-7, "entry " + i); // float ulps of the values

        Exception e = assertThrows(IllegalArgumentException.class,
                () -> new AdamWOptimizer(params, List.of(TrainableTensor.of(params.get(twin).copy())), noDecay));
        assertTrue(e.getMessage().contains("clashes"), e.getMessage());
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
