package minitron4j.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a crash can leave of {@link AtomicWrites}' writes, and how {@link AtomicWrites#removeLeftovers} cleans it. */
class AtomicWritesTest {
    @Test
    void leftoversAreRemovedAndAnOrphanedOldVersionIsPutBack(@TempDir Path dir) throws IOException {
        Path done = Files.createDirectories(dir.resolve("step-2"));
        Files.writeString(done.resolve("state.json"), "{}");
        Path tmpDir = Files.createDirectories(dir.resolve(".step-4." + "tmp-" + UUID.randomUUID()));
        Files.writeString(tmpDir.resolve("model.safetensors"), "half written");
        Path tmpFile = Files.writeString(dir.resolve(".latest.tmp-" + UUID.randomUUID()), "step-4");
        Path oldOfExisting = Files.createDirectories(dir.resolve(".step-2.old-" + UUID.randomUUID()));
        Path orphan = Files.createDirectories(dir.resolve(".step-3.old-" + UUID.randomUUID()));
        Files.writeString(orphan.resolve("state.json"), "{\"step\":3}");
        Path notOurs = Files.createDirectories(dir.resolve(".step-5.tmp-notauuid"));
        Path userFile = Files.writeString(dir.resolve("notes.txt"), "mine");

        List<Path> removed = AtomicWrites.removeLeftovers(dir);

        assertEquals(List.of(tmpFile, oldOfExisting, tmpDir).stream().sorted().toList(), removed.stream().sorted().toList());
        assertFalse(Files.exists(tmpDir) || Files.exists(tmpFile) || Files.exists(oldOfExisting));
        assertEquals("{\"step\":3}", Files.readString(dir.resolve("step-3/state.json")), "the only copy of step-3 is back");
        assertTrue(Files.exists(done.resolve("state.json")) && Files.exists(notOurs) && Files.exists(userFile), "nothing else touched");
        assertEquals(List.of(), AtomicWrites.removeLeftovers(dir));
        assertEquals(List.of(), AtomicWrites.removeLeftovers(dir.resolve("absent")));
    }
}
