package minitron4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that fails says where and how to go on, and its manifest records the failure. */
class RunFailureTest {
    @Test
    void aWriteThatFailsNamesTheFolderTheLastCheckpointAndTheResume(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 2000, 200);
        Path run = tmp.resolve("run");
        // step-4's checkpoint cannot be written (a file stands where its folder goes), as on a full disk
        Files.createDirectories(run.resolve(RunFolder.CHECKPOINTS));
        Files.writeString(run.resolve(RunFolder.CHECKPOINTS).resolve("step-4"), "in the way");
        IOException e = assertThrows(IOException.class,
                () -> Trainer.run(TrainSpec.fromJson(TrainerTest.spec(data, 6)), run, false, TrainerTest.QUIET));
        assertTrue(e.getMessage().startsWith(run + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("the last complete checkpoint is " + run.resolve(RunFolder.CHECKPOINTS).resolve("step-2")), e.getMessage());
        assertTrue(e.getMessage().endsWith("--resume " + run), e.getMessage());
        JsonNode manifest = RunFolder.JSON.readTree(run.resolve(RunFolder.MANIFEST).toFile());
        assertEquals("failed", manifest.get("status").asText());
        assertEquals(e.getMessage(), manifest.get("message").asText());
        assertTrue(!manifest.get("end_time").isNull());
    }

    @Test
    void anyOtherErrorIsRecordedToo(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 2000, 200);
        Path run = tmp.resolve("run");
        TrainOptions stopAtStep3 = TrainerTest.QUIET.withListener(row -> {
            if (Integer.valueOf(3).equals(row.get("step")) && row.containsKey("ce_loss")) throw new IllegalStateException("stopped by the listener");
        });
        assertThrows(IllegalStateException.class, () -> Trainer.run(TrainSpec.fromJson(TrainerTest.spec(data, 6)), run, false, stopAtStep3));
        JsonNode manifest = RunFolder.JSON.readTree(run.resolve(RunFolder.MANIFEST).toFile());
        assertEquals("failed", manifest.get("status").asText());
        assertEquals("stopped by the listener", manifest.get("message").asText());
    }
}
