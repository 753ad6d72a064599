package minitron4j.model.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared fixtures are: system property {@code minitron4j.shared}, else ../../shared. */
final class Fixtures {
    private Fixtures() {
    }

    static Path shared() {
        String property = System.getProperty("minitron4j.shared");
        Path dir = property != null ? Path.of(property) : Path.of("../../shared");
        if (!Files.isDirectory(dir)) {
            dir = Path.of("../../shared");
        }
        return dir;
    }

    static Path hfTokenizer(String name) {
        return shared().resolve("fixtures/hf-tokenizers").resolve(name);
    }
}
