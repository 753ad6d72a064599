package minitron4j.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.AtomicWrites;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * The layout of a training run folder (INTERFACES.md): {@code config.json} (the spec as run),
 * {@code manifest.json}, {@code log.jsonl}, {@code loss.png}, {@code checkpoints/step-N/} (an HF
 * checkpoint plus {@code optimizer.safetensors} and {@code state.json}) and {@code latest}, a
 * one-line pointer to the newest complete checkpoint.
 *
 * <p>A checkpoint is built in a hidden temporary folder and renamed into place
 * ({@link AtomicWrites#replaceDirectory}), and {@code latest} is replaced by a rename after that,
 * so a crash at any moment leaves {@code latest} naming a complete checkpoint.
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
    /** The optimizer's extra tensors (the tensors a training trains beside the model, e.g. distillation's projections), when it has any. */
    public static final String EXTRA_PARAMETERS = "extra_parameters.safetensors";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    public RunFolder(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts a new run here: creates the folder, refuses one that already holds a run, and writes the
     * spec as run into {@link #CONFIG}.
     */
    public void start(com.fasterxml.jackson.databind.node.ObjectNode spec) throws IOException {
        Files.createDirectories(dir);
        if (latestStep().isPresent())
            throw new IllegalStateException(dir + " already holds a run; pass --resume or choose another folder");
        writeAtomically(file(CONFIG), JSON.writeValueAsBytes(spec));
    }

    /** The spec a run was started with ({@link #CONFIG}), for --resume. */
    public com.fasterxml.jackson.databind.JsonNode savedSpec() throws IOException {
        Path saved = file(CONFIG);
        if (!Files.isRegularFile(saved)) throw new IOException(dir + ": not a run folder (no " + CONFIG + ")");
        return JSON.readTree(saved.toFile());
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
     * by a run that was killed before it moved {@code latest}) is replaced. Weights are fp32, so a
     * resumed run continues from exactly the same values.
     */
    public Path writeCheckpoint(TrainingState state, Parameters params, OptimizerState optimizer, List<Path> extraFiles)
            throws IOException {
        Path target = checkpoint(state.step());
        AtomicWrites.replaceDirectory(target, tmp -> {
            Checkpoint.writeFiles(tmp, params.config(), params, Dtype.F32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
            if (!optimizer.extras().isEmpty()) {
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                for (Tensor t : optimizer.extraValues()) w.add(t, Dtype.F32);
                w.write(tmp.resolve(EXTRA_PARAMETERS));
            }
            optimizer.save(tmp.resolve(OPTIMIZER));
            for (Path f : extraFiles) Files.copy(f, tmp.resolve(f.getFileName()));
            JSON.writeValue(tmp.resolve(STATE).toFile(), state.toJson());
        });
        writeAtomically(dir.resolve(LATEST), (target.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
        return target;
    }

    /** Loads checkpoint step-N into params and optimizer (their arrays are overwritten) and returns its state. */
    public TrainingState readCheckpoint(int step, Parameters params, OptimizerState optimizer) throws IOException {
        Path ckpt = checkpoint(step);
        Parameters loaded = Checkpoint.load(ckpt).params();
        if (!architecture(loaded.config()).equals(architecture(params.config())))
            throw new IOException(ckpt + ": config.json describes another model than the one being trained");
        for (var t : params.tensors()) System.arraycopy(loaded.data(t.name()), 0, t.data(), 0, t.size());
        if (!optimizer.extras().isEmpty()) readExtras(ckpt.resolve(EXTRA_PARAMETERS), optimizer.extraValues());
        optimizer.load(ckpt.resolve(OPTIMIZER));
        TrainingState state = TrainingState.fromJson(JSON.readTree(ckpt.resolve(STATE).toFile()), ckpt.resolve(STATE));
        if (state.step() != step || optimizer.step() != step)
            throw new IOException(ckpt + ": state.json says step " + state.step() + " and " + OPTIMIZER
                    + " step " + optimizer.step() + ", expected " + step);
        return state;
    }

    private static void readExtras(Path file, List<Tensor> into) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Tensor t : into) {
                if (!f.contains(t.name())) throw new IOException(file + ": tensor " + t.name() + " is missing");
                int[] shape = f.info(t.name()).shape();
                if (!Arrays.equals(shape, t.shape()))
                    throw new IOException(file + ": tensor " + t.name() + " has shape " + Arrays.toString(shape)
                            + ", the run needs " + t.shapeString());
                System.arraycopy(f.readFloats(t.name()).data(), 0, t.data(), 0, t.size());
            }
        }
    }

    /** A config's JSON without the storage dtype, which a checkpoint adds. */
    private static ObjectNode architecture(NemotronConfig c) {
        ObjectNode o = c.toJson();
        o.remove(List.of("dtype", "torch_dtype"));
        return o;
    }

    /** Replaces file's content at once: a temporary sibling renamed over it. */
    static void writeAtomically(Path file, byte[] content) throws IOException {
        AtomicWrites.replaceFile(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
        });
    }
}
