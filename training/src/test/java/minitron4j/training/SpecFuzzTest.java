package minitron4j.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import minitron4j.model.ModelFormatException;
import minitron4j.model.fuzz.Mutator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutated training spec files (JSON, and the same trees as YAML): every outcome is a spec or an
 * error naming the file with a message, never another exception. Tries: {@code -Dfuzz.tries}.
 */
class SpecFuzzTest {
    private static Path dir;
    private static byte[] spec;

    @BeforeContainer
    static void writeSeed() throws IOException {
        dir = Files.createTempDirectory("spec-fuzz");
        spec = RunFolder.JSON.writeValueAsBytes(TrainerTest.spec(dir.resolve("data"), 10).put("schedule", "cosine").put("clip", 1.0));
    }

    @AfterContainer
    static void removeFiles() throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Property
    void specFiles(@ForAll long seed) throws IOException {
        byte[] mutated = Mutator.json(spec, seed);
        Path json = dir.resolve("spec.json");
        Files.write(json, mutated);
        outcome(json);
        // The same bytes read as YAML (JSON is YAML): the other parser's errors.
        Path yaml = dir.resolve("spec.yaml");
        Files.write(yaml, mutated);
        outcome(yaml);
    }

    @net.jqwik.api.Example
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
