package minitron4j.tornado;

import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.ForwardObserver;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What importance estimation reads on the TornadoVM backend: every activation a forward observer
 * is shown (norm outputs, attention outputs, MLP activations, the residual stream) matches what
 * the CPU forward pass shows at every real position of a right-padded batch, the final norm's
 * output included; {@code observe} (no logits fetched) shows the same as {@code forward}.
 */
class ObservedForwardTest {
    @Test
    void theObserverSeesTheCpuActivations() throws IOException {
        Path dir = Fixtures.hfNemotron("tiny-gqa");
        Parameters params = Checkpoint.load(dir).params();
        IntTensor ids;
        try (SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            ids = forward.readInts("input_ids");
        }
        int b = ids.shape()[0], t = ids.shape()[1];
        Batch batch = new Batch(ids.data(), b, t, new int[]{t, t - 6});
        Recorder cpu = new Recorder(), device = new Recorder(), deviceObserved = new Recorder();
        try (Backend.Session c = Backends.get("cpu").open(params); Backend.Session d = Backends.get("tornado").open(params)) {
            c.forward(batch, cpu);
            d.forward(batch, device);
            d.observe(batch, deviceObserved);
        }
        assertEquals(cpu.seen.keySet(), device.seen.keySet());
        assertEquals(7 * params.config().numHiddenLayers() + 1, cpu.seen.size());
        // observe (no logits fetched) shows exactly what forward shows
        assertEquals(device.seen.keySet(), deviceObserved.seen.keySet());
        device.seen.forEach((key, want) -> org.junit.jupiter.api.Assertions.assertArrayEquals(want, deviceObserved.seen.get(key), key));
        boolean[] real = batch.realMask();
        cpu.seen.forEach((key, want) -> {
            float[] got = device.seen.get(key);
            assertEquals(want.length, got.length, key);
            int width = want.length / batch.tokens();
            for (int i = 0; i < want.length; i++)
                // padded positions are computed but never read: only real ones must agree
                if (real[i / width]) assertTrue(Math.abs(want[i] - got[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), key + "[" + i + "]: " + want[i] + " vs " + got[i]);
        });
    }

    /** Copies of every array shown, by kind and layer. */
    private static final class Recorder implements ForwardObserver {
        final Map<String, float[]> seen = new TreeMap<>();

        @Override
        public void normOutput(int layer, int which, float[] out, Batch batch) {
            seen.put(layer + " norm" + which, out.clone());
        }

        @Override
        public void attentionOutput(int layer, float[] att, Batch batch) {
            seen.put(layer + " attention", att.clone());
        }

        @Override
        public void mlpPreActivation(int layer, float[] up, Batch batch) {
            seen.put(layer + " up", up.clone());
        }

        @Override
        public void mlpPostActivation(int layer, float[] act, Batch batch) {
            seen.put(layer + " act", act.clone());
        }

        @Override
        public void layerOutput(int layer, float[] in, float[] out, Batch batch) {
            seen.put(layer + " in", in.clone());
            seen.put(layer + " out", out.clone());
        }

        @Override
        public void finalNormOutput(float[] out, Batch batch) {
            seen.put("final norm", out.clone());
        }
    }
}
