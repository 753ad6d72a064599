package minitron4j.training;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainSpecTest {

    @Test
    void yamlWithDefaultsAndAbsolutePaths(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spec.yaml");
        Files.writeString(file, """
                model:
                  hidden_size: 64
                  intermediate_size: 256
                  num_hidden_layers: 2
                  num_attention_heads: 4
                  num_key_value_heads: 2
                data: some/data
                steps: 200
                lr: 3e-4
                warmup: 10
                """);
        TrainSpec s = TrainSpec.load(file);
        assertEquals(64, s.model().get("hidden_size").asInt());
        assertEquals(Path.of("some/data").toAbsolutePath(), s.data());
        assertEquals(3e-4, s.lr());
        assertEquals(3e-5, s.minLr(), 1e-20);
        assertEquals(8, s.batch());
        assertEquals(256, s.seqLen());
        assertEquals(1, s.gradAccum());
        assertEquals(10, s.evalInterval());
        assertEquals(20, s.checkpointInterval());
        assertEquals("cosine", s.schedule());
        assertEquals(1e-4, s.lrSchedule().lr(0) * 10 / 3, 1e-12, "warm-up step 1 of 10");

        TrainSpec back = TrainSpec.fromJson(s.toJson());
        assertEquals(s.toJson(), back.toJson());
        assertTrue(s.differences(back).isEmpty());
        assertEquals(java.util.List.of("threads"), s.differences(s.withThreads(s.threads() + 1)));
    }

    @Test
    void errorsNameTheFileAndField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("spec.json");
        Files.writeString(file, "{\"init\": \"ckpt\", \"data\": \"d\", \"steps\": 10, \"batchsize\": 4}");
        var e = assertThrows(IllegalArgumentException.class, () -> TrainSpec.load(file));
        assertTrue(e.getMessage().startsWith(file + ": spec: unknown field batchsize"), e.getMessage());

        Files.writeString(file, "{\"init\": \"ckpt\", \"data\": \"d\", \"steps\": 10, \"lr\": \"fast\"}");
        e = assertThrows(IllegalArgumentException.class, () -> TrainSpec.load(file));
        assertTrue(e.getMessage().contains("field lr must be a number"), e.getMessage());

        Files.writeString(file, "{\"init\": \"ckpt\", \"data\": \"d\", \"steps\": 0}");
        e = assertThrows(IllegalArgumentException.class, () -> TrainSpec.load(file));
        assertTrue(e.getMessage().contains("steps must be >= 1"), e.getMessage());

        Files.writeString(file, "{\"data\": \"d\", \"steps\": 5}");
        e = assertThrows(IllegalArgumentException.class, () -> TrainSpec.load(file));
        assertTrue(e.getMessage().contains("exactly one of model and init"), e.getMessage());
    }
}
