package minitron4j.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the golden fixtures live: the system property {@code minitron4j.shared} (surefire sets it to the repository's testdata/, a copy of the shared golden data), else ../../shared. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path shared() {
        String p = System.getProperty("minitron4j.shared");
        Path root = p != null ? Path.of(p) : Path.of("../../shared");
        if (!Files.isDirectory(root.resolve("fixtures")))
            throw new IllegalStateException("no fixtures under " + root.toAbsolutePath()
                    + "; set -Dminitron4j.shared to the shared folder");
        return root;
    }

    public static Path fixtures() {
        return shared().resolve("fixtures");
    }

    /** A golden HF model folder: "tiny-gqa" or "tiny-mqa-tied". */
    public static Path hfNemotron(String name) {
        return fixtures().resolve("hf-nemotron").resolve(name);
    }

    /** A model-card class's golden folder: "base", "seq-single", "seq-regression", "seq-multi", "qa" or "token". */
    public static Path hfHeads(String name) {
        return fixtures().resolve("hf-heads").resolve(name);
    }

    /** A checkpoint-format variant: "sharded-bf16", "bin-fp32" or "evil-pickle". */
    public static Path hfFormats(String name) {
        return fixtures().resolve("hf-formats").resolve(name);
    }

    /** A tokenizer fixture: "spbpe" or "bytelevel". */
    public static Path hfTokenizers(String name) {
        return fixtures().resolve("hf-tokenizers").resolve(name);
    }
}
