package minitron4j.model.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * The loop of the fuzz tests: one input per seed, seeds {@code fuzz.seed} to {@code fuzz.seed +
 * fuzz.tries - 1} (system properties; 0 and 300 in CI). A failing input is reported with its seed and
 * the flags that replay it alone.
 */
public final class Fuzz {
    public static final long TRIES = Long.getLong("fuzz.tries", 300);
    public static final long FIRST_SEED = Long.getLong("fuzz.seed", 0);

    private Fuzz() {}

    /** One fuzzed input, made and checked from its seed. */
    public interface Input {
        void check(long seed) throws Exception;
    }

    public static void forEachSeed(Input input) {
        for (long i = 0; i < TRIES; i++) {
            long seed = FIRST_SEED + i;
            try {
                input.check(seed);
            } catch (Throwable e) {
                throw new AssertionError("the input of seed " + seed + " (alone: -Dfuzz.seed=" + seed + " -Dfuzz.tries=1): " + e, e);
            }
        }
    }

    /** A fresh temporary folder for the inputs' files. */
    public static Path folder(String name) throws IOException {
        return Files.createTempDirectory(name);
    }

    public static void delete(Path folder) throws IOException {
        try (var files = Files.walk(folder)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
