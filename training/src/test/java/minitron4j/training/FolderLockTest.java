package minitron4j.training;

import minitron4j.model.io.FolderLock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder is written by one process at a time; the second is refused at once, naming the first. */
class FolderLockTest {
    @Test
    void aSecondTrainingInTheSameFolderIsRefusedAndChangesNothing(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 2000, 200);
        Path run = tmp.resolve("run");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FolderLockHolder.class.getName(), run.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> Trainer.run(TrainSpec.fromJson(TrainerTest.spec(data, 2)), run, false, TrainerTest.QUIET));
            assertTrue(refused.getMessage().contains("is being written by another process (pid " + holder.pid()), refused.getMessage());
            assertTrue(refused.getMessage().contains("holder"), refused.getMessage());
            assertFalse(Files.exists(run.resolve(RunFolder.CONFIG)), "the refused run wrote nothing");
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        // the owner is gone: the folder is free again
        TrainingSummary s = Trainer.run(TrainSpec.fromJson(TrainerTest.spec(data, 2)), run, false, TrainerTest.QUIET);
        assertEquals(2, s.steps());
    }

    @Test
    void aLockHeldInThisProcessIsRefusedToo(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        try (FolderLock held = FolderLock.inside(run, "train")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> FolderLock.inside(run, "train --resume"));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()) && e.getMessage().contains(", train,"), e.getMessage());
        }
        try (FolderLock again = FolderLock.inside(run, "train --resume")) {
            assertTrue(Files.readString(run.resolve(FolderLock.FILE)).contains("train --resume"));
        }
    }

    @Test
    void outputsWrittenWholeAreLockedBesideThemselves(@TempDir Path tmp) throws Exception {
        Path converted = tmp.resolve("converted"), data = tmp.resolve("data");
        try (FolderLock held = FolderLock.beside(converted, "convert")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> minitron4j.model.io.Checkpoint.convert(
                    minitron4j.model.Fixtures.hfNemotron("tiny-gqa"), converted, java.util.Optional.empty()));
            assertTrue(e.getMessage().contains("is being written by another process") && e.getMessage().contains(", convert,"), e.getMessage());
            assertFalse(Files.exists(converted), "nothing written");
        }
        assertTrue(Files.exists(tmp.resolve(".converted.lock")), "the lock file sits beside the output");
        minitron4j.model.io.Checkpoint.convert(minitron4j.model.Fixtures.hfNemotron("tiny-gqa"), converted, java.util.Optional.empty());
        assertTrue(Files.isRegularFile(converted.resolve("config.json")));

        Path texts = Files.createDirectories(tmp.resolve("texts"));
        Files.writeString(texts.resolve("a.txt"), "some text to tokenize, twice over. some text to tokenize.");
        try (FolderLock held = FolderLock.beside(data, "data")) {
            assertThrows(IllegalStateException.class, () -> DataBuilder.build(java.util.List.of(texts), "bytes", 0, 0, data));
            assertFalse(Files.exists(data), "nothing written");
        }
    }
}
