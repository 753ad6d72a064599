package minitron4j.training;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.backend.CpuAsDevice;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop over a backend's {@link minitron4j.model.backend.Backend.Training} (the path a device
 * backend takes), run on the CPU backend: it must log exactly what the host path logs, write the
 * same checkpoints, and resume exactly from its own checkpoint.
 */
class BackendStepsTest {
    private static final TrainOptions ON_CPU_BACKEND = TrainerTest.QUIET.withBackend(new CpuAsDevice());
    /** The host road: cross-entropy as a host objective over the model (an objective other than the default). */
    private static final TrainOptions HOST_OBJECTIVE = TrainerTest.QUIET.withObjective(CrossEntropyObjective::new);

    @Test
    void theBackendPathLogsAndCheckpointsWhatTheHostPathDoes(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400);
        ObjectNode json = TrainerTest.spec(data, 6).put("eval_interval", 3).put("grad_accum", 2).put("clip", 0.5);
        Path host = tmp.resolve("host"), backend = tmp.resolve("backend");
        Trainer.run(TrainSpec.fromJson(json), host, false, HOST_OBJECTIVE);
        Trainer.run(TrainSpec.fromJson(json), backend, false, ON_CPU_BACKEND);

        assertEquals(TrainerTest.lossLines(host), TrainerTest.lossLines(backend));
        assertEquals(6 + 3, TrainerTest.lossLines(backend).size(), "6 training rows and validations at 0, 3, 6");
        assertEquals("cpu", RunFolder.JSON.readTree(backend.resolve(RunFolder.MANIFEST).toFile()).get("backend").asText());
        for (String file : new String[]{"model.safetensors", RunFolder.OPTIMIZER}) {
            try (SafetensorsFile a = SafetensorsFile.open(host.resolve("checkpoints/step-6").resolve(file));
                 SafetensorsFile b = SafetensorsFile.open(backend.resolve("checkpoints/step-6").resolve(file))) {
                assertEquals(a.names(), b.names(), file);
                for (String name : a.names()) assertArrayEquals(a.readFloats(name).data(), b.readFloats(name).data(), file + " " + name);
                assertEquals(a.metadata().get(AdamWOptimizer.STEP), b.metadata().get(AdamWOptimizer.STEP), file + " step");
            }
        }
    }

    @Test
    void aBackendRunResumesExactly(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400);
        ObjectNode json = TrainerTest.spec(data, 6).put("eval_interval", 3);
        Path straight = tmp.resolve("straight"), stopped = tmp.resolve("stopped");
        Trainer.run(TrainSpec.fromJson(json), straight, false, ON_CPU_BACKEND);
        // stop during step 5, after the checkpoint of step 4
        TrainOptions stopAtStep5 = ON_CPU_BACKEND.withListener(row -> {
            if (row.containsKey("ce_loss") && ((Number) row.get("step")).intValue() == 5) throw new IllegalStateException("stop");
        });
        assertEquals("stop", assertThrows(IllegalStateException.class,
                () -> Trainer.run(TrainSpec.fromJson(json), stopped, false, stopAtStep5)).getMessage());
        Trainer.run(null, stopped, true, ON_CPU_BACKEND);
        assertEquals(TrainerTest.lossLines(straight), TrainerTest.lossLines(stopped));
        assertTrue(Files.isDirectory(stopped.resolve("checkpoints/step-6")));
    }

    @Test
    void aBackendTakesNoOtherObjective() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ON_CPU_BACKEND.withObjective((model, batch, seq) -> null));
        assertTrue(e.getMessage().contains("cross-entropy"), e.getMessage());
    }
}
