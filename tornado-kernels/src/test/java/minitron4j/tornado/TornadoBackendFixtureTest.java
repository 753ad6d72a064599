package minitron4j.tornado;

import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static minitron4j.tornado.DeviceRun.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HF golden fixtures through {@code --backend tornado} (found as a service, as the command line
 * finds it): logits within 1e-4, losses within 1e-5 relative, every CE and KD gradient within 1e-3
 * of its tensor's largest entry, and the device's gradient norm against the golden gradients' norm.
 */
class TornadoBackendFixtureTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void forwardLossesAndGradientsMatchHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Parameters params = Checkpoint.load(dir).params();
        Backend backend = Backends.get("tornado");
        try (Backend.Session session = backend.open(params);
             SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile ce = SafetensorsFile.open(dir.resolve("ce_grads.safetensors"));
             SafetensorsFile kd = SafetensorsFile.open(dir.resolve("kd_grads.safetensors"))) {
            TornadoBackend.TornadoSession device = assertInstanceOf(TornadoBackend.TornadoSession.class, session);
            IntTensor ids = forward.readInts("input_ids");
            Batch batch = Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);

            assertClose(forward.readFloats("logits").data(), session.forward(batch), 1e-4, name + " logits");

            Parameters grads = Parameters.zeros(params.config());
            double loss = session.crossEntropyGradients(batch, grads);
            double expected = forward.readFloats("loss").data()[0];
            assertEquals(expected, loss, 1e-5 * expected, name + " loss");
            assertGradientsMatch(ce, grads, name + " CE");
            assertEquals(norm(ce, grads), device.lastGradientNorm(), 1e-4 * norm(ce, grads), name + " CE gradient norm");
            assertTrue(device.lastGradientsFinite(), name + " finite flag");

            grads.zero();
            loss = session.klGradients(batch, kd.readFloats("teacher_logits").data(), 2f, grads);
            expected = kd.readFloats("kd_loss").data()[0];
            assertEquals(expected, loss, 1e-5 * expected, name + " kd_loss");
            assertGradientsMatch(kd, grads, name + " KD");
        }
    }

    private static double norm(SafetensorsFile golden, Parameters grads) {
        double sq = 0;
        for (Tensor g : grads.tensors()) for (float x : golden.readFloats(g.name()).data()) sq += (double) x * x;
        return Math.sqrt(sq);
    }

    private static void assertGradientsMatch(SafetensorsFile golden, Parameters grads, String what) {
        for (Tensor g : grads.tensors()) {
            float[] want = golden.readFloats(g.name()).data();
            double max = 0;
            for (float x : want) max = Math.max(max, Math.abs(x));
            assertClose(want, g.data(), 1e-3 * max, what + " d/d " + g.name());
        }
    }
}
