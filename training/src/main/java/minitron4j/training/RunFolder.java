package minitron4j.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The layout of a training run folder (INTERFACES.md): {@code config.json} (the spec as run),
 * {@code manifest.json}, {@code log.jsonl}, {@code loss.png}, {@code checkpoints/step-N/} (an HF
 * checkpoint plus {@code optimizer.safetensors} and {@code state.json}) and {@code latest}, a
 * one-line pointer to the newest complete checkpoint.
 *
 * <p>A checkpoint is built in a hidden temporary folder and renamed into place, and {@code latest}
 * is replaced by a rename after that, so a crash at any moment leaves {@code latest} naming a
 * complete checkpoint.
 */
public final class RunFolder {
    public static final String CONFIG = "config.json";
    public static final String MANIFEST = "manifest.json";
    public static final String LOG = "log.jsonl";
    public static final String PLOT = "loss.png";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String LATEST = "latest";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";
    /** The optimizer's extra tensors (an objective's own trained tensors, e.g. distillation's projections), when it has any. */
    public static final String EXTRA_PARAMETERS = "extra_parameters.safetensors";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    public RunFolder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public Path checkpoint(int step) {
        return dir.resolve(CHECKPOINTS).resolve("step-" + step);
    }

    /** The step of the checkpoint {@code latest} names, if there is one; a pointer to a missing folder is an error. */
    public OptionalInt latestStep() throws IOException {
        Path pointer = dir.resolve(LATEST);
        if (!Files.exists(pointer)) return OptionalInt.empty();
        String name = Files.readString(pointer, StandardCharsets.UTF_8).strip();
        if (!name.matches("step-\\d+")) throw new IOException(pointer + ": expected \"step-N\", found \"" + name + "\"");
        int step = Integer.parseInt(name.substring(5));
        if (!Files.isRegularFile(checkpoint(step).resolve(STATE)))
            throw new IOException(pointer + " names " + checkpoint(step) + ", which holds no " + STATE);
        return OptionalInt.of(step);
    }

    /**
     * Writes checkpoints/step-N atomically (weights, optimizer, state, and copies of extraFiles such
     * as the tokenizer), then points {@code latest} at it. A stale folder of the same step (written
     * by a run that was killed before it moved {@code latest}) is replaced.
     */
    public Path writeCheckpoint(TrainingState state, Parameters params, AdamWOptimizer optimizer, List<Path> extraFiles)
            throws IOException {
        Path target = checkpoint(state.step());
        Files.createDirectories(target.getParent());
        if (Files.exists(target)) deleteRecursively(target);
        SharedFormats.createDirectory(target, tmp -> {
            SharedFormats.saveCheckpoint(params, tmp);
            if (!optimizer.extras().isEmpty()) {
                Map<String, Tensor> extra = new LinkedHashMap<>();
                for (Tensor t : optimizer.extraValues()) extra.put(t.name(), t);
                SharedFormats.writeTensors(tmp.resolve(EXTRA_PARAMETERS), extra, Map.of("format", "pt"));
            }
            optimizer.save(tmp.resolve(OPTIMIZER));
            for (Path f : extraFiles) Files.copy(f, tmp.resolve(f.getFileName()));
            JSON.writeValue(tmp.resolve(STATE).toFile(), state.toJson());
        });
        SharedFormats.replaceFile(dir.resolve(LATEST), (target.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
        return target;
    }

    /** Loads checkpoint step-N into params and optimizer (their arrays are overwritten) and returns its state. */
    public TrainingState readCheckpoint(int step, Parameters params, AdamWOptimizer optimizer) throws IOException {
        Path ckpt = checkpoint(step);
        Parameters loaded = SharedFormats.loadCheckpoint(ckpt);
        if (!shape(loaded.config()).equals(shape(params.config())))
            throw new IOException(ckpt + ": config.json differs from the model being trained");
        for (var t : params.tensors()) System.arraycopy(loaded.data(t.name()), 0, t.data(), 0, t.size());
        if (!optimizer.extras().isEmpty()) {
            Path file = ckpt.resolve(EXTRA_PARAMETERS);
            Map<String, Tensor> extra = SharedFormats.readTensors(file).tensors();
            for (Tensor t : optimizer.extraValues()) {
                Tensor x = extra.get(t.name());
                if (x == null || !java.util.Arrays.equals(x.shape(), t.shape()))
                    throw new IOException(file + ": tensor " + t.name() + (x == null ? " is missing" : " has shape "
                            + x.shapeString() + ", the objective needs " + t.shapeString()));
                System.arraycopy(x.data(), 0, t.data(), 0, t.size());
            }
        }
        optimizer.load(ckpt.resolve(OPTIMIZER));
        TrainingState state = TrainingState.fromJson(JSON.readTree(ckpt.resolve(STATE).toFile()), ckpt.resolve(STATE));
        if (state.step() != step || optimizer.step() != step)
            throw new IOException(ckpt + ": state.json says step " + state.step() + " and " + OPTIMIZER
                    + " step " + optimizer.step() + ", expected " + step);
        return state;
    }

    /** A config as JSON without the storage dtype, which a checkpoint records and an in-memory model may not. */
    private static ObjectNode shape(NemotronConfig c) {
        ObjectNode json = c.toJson();
        json.remove(List.of("dtype", "torch_dtype"));
        return json;
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
