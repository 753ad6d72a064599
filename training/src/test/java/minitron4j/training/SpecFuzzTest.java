package minitron4j.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import minitron4j.model.ModelFormatException;
import minitron4j.model.fuzz.Fuzz;
import minitron4j.model.fuzz.Mutator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mutated training spec files (JSON, and the same trees as YAML): every outcome is a spec or an
 * error naming the file with a message, never another exception. Inputs: {@link Fuzz}.
 */
class SpecFuzzTest {
    private static Path dir;
    private static byte[] spec;

    @BeforeAll
    static void writeSeed() throws IOException {
        dir = Fuzz.folder("spec-fuzz");
        spec = RunFolder.JSON.writeValueAsBytes(TrainerTest.spec(dir.resolve("data"), 10).put("schedule", "cosine").put("clip", 1.0));
    }

    @AfterAll
    static void removeFiles() throws IOException {
        Fuzz.delete(dir);
    }

    @Test
    void specFiles() {
        Fuzz.forEachSeed(SpecFuzzTest::specFile);
    }

    private static void specFile(long seed) throws IOException {
        byte[] mutated = Mutator.json(spec, seed);
        Path json = dir.resolve("spec.json");
        Files.write(json, mutated);
        outcome(json);
        // The same bytes read as YAML (JSON is YAML): the other parser's errors.
        Path yaml = dir.resolve("spec.yaml");
        Files.write(yaml, mutated);
        outcome(yaml);
    }

    @Test
    void aNaNInAJsonSpecIsExplainedWithoutParserSwitches() throws IOException {
        Path f = dir.resolve("nan.json");
        Files.writeString(f, "{\"data\": \"d\", \"steps\": NaN}");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> TrainSpec.load(f));
        assertTrue(e.getMessage().equals(f + ": cannot parse: line 1, column 27: Non-standard token 'NaN': not a number in JSON; give a finite value"),
                e.getMessage());
    }

    private static void outcome(Path file) {
        try {
            TrainSpec.load(file);
        } catch (IOException | IllegalArgumentException | ModelFormatException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(file.toString()), "not naming the file: " + e.getMessage());
        }
    }
}
