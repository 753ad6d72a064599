package minitron4j.experiments.bench;

import minitron4j.model.NemotronConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * The released checkpoints' shapes (config.json as NVIDIA publishes them, bundled as resources):
 * Minitron-4B and -8B, and their teacher Nemotron-4-15B. {@code init --config} writes random weights
 * of these shapes; {@code bench --shape} measures the CPU on them.
 */
public enum ReleasedShape {
    MINITRON_4B("minitron-4b"), MINITRON_8B("minitron-8b"), NEMOTRON_4_15B("nemotron-4-15b");

    private final String id;

    ReleasedShape(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The shape of that name, or null when the name is not a released shape. */
    public static ReleasedShape find(String name) {
        for (ReleasedShape s : values()) if (s.id.equals(name.toLowerCase(Locale.ROOT))) return s;
        return null;
    }

    public static List<String> ids() {
        return java.util.Arrays.stream(values()).map(ReleasedShape::id).toList();
    }

    /** Writes this shape's config.json to file (for {@code init --config}). */
    public void writeConfig(Path file) throws IOException {
        try (InputStream in = ReleasedShape.class.getResourceAsStream("/minitron4j/shapes/" + id + ".json")) {
            if (in == null) throw new IllegalStateException("the jar lacks the config of " + id);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public NemotronConfig config() throws IOException {
        Path tmp = Files.createTempFile(id, ".json");
        try {
            writeConfig(tmp);
            return NemotronConfig.load(tmp);
        } finally {
            Files.delete(tmp);
        }
    }
}
