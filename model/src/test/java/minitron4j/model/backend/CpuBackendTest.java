package minitron4j.model.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

/** The parts of the {@link Backend} contract the CPU keeps as a device backend must. */
class CpuBackendTest {
    private static final AdamWSettings ADAMW = AdamWSettings.of(0.9, 0.95, 1e-8, 0.1);

    @Test
    void trainingStateIsWrittenBeforeTheFirstStepOnly() throws IOException {
        Path dir = Fixtures.hfNemotron("tiny-gqa");
        Parameters params = Checkpoint.load(dir).params();
        Batch batch;
        try (SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            IntTensor ids = forward.readInts("input_ids");
            batch = Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);
        }
        Parameters restored = params.copy(), m = Parameters.zeros(params.config()), v = Parameters.zeros(params.config());
        restored.data(Parameters.NORM_B)[0] = 0.25f;
        try (Backend.Session session = new CpuBackend().open(params.copy());
             Backend.Training training = session.training(Loss.crossEntropy(), batch.batch(), batch.seq(), ADAMW)) {
            // a resumed run: the restored state goes in before the first step, and is what trains
            training.writeParameters(restored);
            training.writeMoments(m, v);
            Parameters seen = Parameters.zeros(params.config());
            training.readParameters(seen);
            assertEquals(0.25f, seen.data(Parameters.NORM_B)[0]);

            training.zeroGradients();
            training.accumulate(batch, 1f);
            IllegalStateException late = assertThrows(IllegalStateException.class, () -> training.writeParameters(restored));
            assertTrue(late.getMessage().contains("the cpu backend takes parameters from the host only before its first step"), late.getMessage());
            assertThrows(IllegalStateException.class, () -> training.writeMoments(m, v));
        }
    }

    @Test
    void benchProbesDescribeTheDeviceAndTimeTheProduct() {
        BenchProbes probes = new CpuBackend();
        assertTrue(probes.describe().get("device").contains("threads"), probes.describe().toString());
        double[] seconds = probes.matmulSeconds(24, 3).get("packed");
        assertEquals(3, seconds.length);
        for (double s : seconds) assertTrue(s > 0, "seconds " + s);
    }
}
