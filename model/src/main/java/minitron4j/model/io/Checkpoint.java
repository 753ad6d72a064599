package minitron4j.model.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Hugging Face checkpoint folders: config.json plus weights, read into an fp32 {@link Parameters} pool
 * and written back in HF's own layout so that transformers loads what we write.
 *
 * <p>Weights are looked for in HF's order of preference: {@code model.safetensors},
 * {@code model.safetensors.index.json} (shards), {@code pytorch_model.bin},
 * {@code pytorch_model.bin.index.json}. Writing always produces safetensors, one file up to
 * {@code maxShardBytes} of tensor data and HF-named shards with an index above it, and replaces the
 * folder atomically ({@link AtomicWrites#replaceDirectory}).
 */
public final class Checkpoint {
    /** transformers' default {@code max_shard_size} ("5GB", decimal). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    /** Files beside the weights that belong to the model's tokenizer and generation defaults. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "added_tokens.json", "generation_config.json");

    static final String CONFIG = "config.json";
    static final String SAFETENSORS = "model.safetensors";
    static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    static final String TORCH_BIN = "pytorch_model.bin";
    static final String TORCH_INDEX = "pytorch_model.bin.index.json";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Checkpoint() {
    }

    /**
     * A loaded checkpoint. {@code dtype} is the element type its weights were stored in (F32 when they
     * mix types), which {@link #convert} keeps by default.
     */
    public record LoadedModel(NemotronConfig config, Parameters params, Dtype dtype) {
    }

    @FunctionalInterface
    private interface Opener {
        TensorFile open(Path file) throws IOException;
    }

    public static LoadedModel load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a checkpoint folder (no such folder)");
        NemotronConfig config = NemotronConfig.load(dir.resolve(CONFIG));
        if (Files.isRegularFile(dir.resolve(SAFETENSORS)))
            return loadSingle(config, dir.resolve(SAFETENSORS), SafetensorsFile::open);
        if (Files.isRegularFile(dir.resolve(SAFETENSORS_INDEX)))
            return loadSharded(config, dir, dir.resolve(SAFETENSORS_INDEX), SafetensorsFile::open);
        if (Files.isRegularFile(dir.resolve(TORCH_BIN)))
            return loadSingle(config, dir.resolve(TORCH_BIN), TorchCheckpointReader::open);
        if (Files.isRegularFile(dir.resolve(TORCH_INDEX)))
            return loadSharded(config, dir, dir.resolve(TORCH_INDEX), TorchCheckpointReader::open);
        throw new ModelFormatException(dir + ": no weights found (looked for " + SAFETENSORS + ", " + SAFETENSORS_INDEX
                + ", " + TORCH_BIN + ", " + TORCH_INDEX + ")");
    }

    private static LoadedModel loadSingle(NemotronConfig config, Path file, Opener opener) throws IOException {
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        HashMap<String, Dtype> dtypes = new HashMap<>();
        try (TensorFile f = opener.open(file)) {
            for (String name : f.names()) {
                dtypes.put(name, f.info(name).dtype());
                tensors.put(name, f.readFloats(name));
            }
        }
        return loaded(config, tensors, dtypes, file.toString());
    }

    private static LoadedModel loadSharded(NemotronConfig config, Path dir, Path index, Opener opener) throws IOException {
        LinkedHashMap<Path, List<String>> shards = readIndex(dir, index);
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        HashMap<String, Dtype> dtypes = new HashMap<>();
        for (Map.Entry<Path, List<String>> shard : shards.entrySet()) {
            try (TensorFile f = opener.open(shard.getKey())) {
                for (String name : shard.getValue()) {
                    if (!f.contains(name))
                        throw new ModelFormatException(index + ": weight_map puts tensor \"" + name + "\" in "
                                + dir.relativize(shard.getKey()) + ", but that shard has no such tensor");
                    dtypes.put(name, f.info(name).dtype());
                    tensors.put(name, f.readFloats(name));
                }
            }
        }
        return loaded(config, tensors, dtypes, index.toString());
    }

    private static LoadedModel loaded(NemotronConfig config, Map<String, Tensor> tensors, Map<String, Dtype> dtypes,
                                      String source) {
        Parameters params = Parameters.of(config, tensors, source);
        Dtype stored = null;
        for (String name : params.names()) {
            Dtype d = dtypes.get(name);
            stored = stored == null || stored == d ? d : Dtype.F32;
        }
        return new LoadedModel(config, params, stored);
    }

    /**
     * Reads an HF index ({@code {"metadata": {...}, "weight_map": {tensor: shard file}}}) into shard path ->
     * tensor names, in order of first mention. Every shard must lie inside the model folder, also after
     * following symbolic links: an index must not make us read arbitrary files.
     */
    private static LinkedHashMap<Path, List<String>> readIndex(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(index + ": not valid JSON: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject())
            throw new ModelFormatException(index + ": weight_map must be an object of tensor name -> shard file, found "
                    + map);
        Path base = dir.toAbsolutePath().normalize();
        Path realBase = base.toRealPath();
        LinkedHashMap<Path, List<String>> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String tensor = e.getKey();
            if (!e.getValue().isTextual())
                throw new ModelFormatException(index + ": weight_map entry \"" + tensor + "\" must name a shard file, found "
                        + e.getValue());
            Path shard = shardPath(index, base, realBase, tensor, e.getValue().textValue());
            shards.computeIfAbsent(shard, k -> new ArrayList<>()).add(tensor);
        }
        return shards;
    }

    private static Path shardPath(Path index, Path base, Path realBase, String tensor, String shard) throws IOException {
        String entry = index + ": weight_map entry \"" + tensor + "\" -> \"" + shard + "\"";
        Path relative;
        try {
            relative = Path.of(shard);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(entry + " is not a valid file name");
        }
        if (shard.isEmpty() || relative.isAbsolute() || relative.getRoot() != null)
            throw new ModelFormatException(entry + " is not a file name relative to the model folder " + base);
        Path resolved = base.resolve(relative).normalize();
        if (!resolved.startsWith(base) || resolved.equals(base))
            throw new ModelFormatException(entry + " resolves outside the model folder " + base);
        if (!Files.isRegularFile(resolved))
            throw new ModelFormatException(entry + ": shard file " + resolved + " does not exist");
        Path real = resolved.toRealPath();
        if (!real.startsWith(realBase))
            throw new ModelFormatException(entry + " is a link that resolves outside the model folder (to " + real + ")");
        return resolved;
    }

    public static void save(Path dir, NemotronConfig config, Parameters params, Dtype dtype) throws IOException {
        save(dir, config, params, dtype, DEFAULT_MAX_SHARD_BYTES);
    }

    /**
     * Writes config.json and the weights (tied embeddings: no {@code lm_head.weight}) as a new folder that
     * replaces {@code dir} only once complete. Tokenizer files of a checkpoint being replaced are kept, as
     * HF's save_pretrained leaves them. A non-empty folder that is not a checkpoint (no config.json) is
     * never replaced.
     */
    public static void save(Path dir, NemotronConfig config, Parameters params, Dtype dtype, long maxShardBytes)
            throws IOException {
        List<Tensor> tensors = tensorsToWrite(config, params);
        checkWritable(dtype, maxShardBytes);
        refuseNonCheckpoint(dir);
        boolean replacing = Files.isDirectory(dir);
        AtomicWrites.replaceDirectory(dir, temp -> {
            writeFiles(temp, config, tensors, dtype, maxShardBytes);
            if (replacing) copyTokenizerFiles(dir, temp);
        });
    }

    /**
     * Writes config.json and weights into an existing folder, not atomically: meant to run inside
     * {@link AtomicWrites#replaceDirectory} together with other files that belong to the same folder
     * (optimizer state, a training step's metadata).
     */
    public static void writeFiles(Path dir, NemotronConfig config, Parameters params, Dtype dtype, long maxShardBytes)
            throws IOException {
        List<Tensor> tensors = tensorsToWrite(config, params);
        checkWritable(dtype, maxShardBytes);
        writeFiles(dir, config, tensors, dtype, maxShardBytes);
    }

    private static void writeFiles(Path dir, NemotronConfig config, List<Tensor> tensors, Dtype dtype,
                                   long maxShardBytes) throws IOException {
        writeConfig(dir, config, dtype);
        List<List<Tensor>> shards = shard(tensors, dtype, maxShardBytes);
        if (shards.size() == 1) {
            writeShard(dir.resolve(SAFETENSORS), shards.getFirst(), dtype);
            return;
        }
        TreeMap<String, String> weightMap = new TreeMap<>(); // HF writes the map with sorted keys
        long totalBytes = 0, totalParameters = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            writeShard(dir.resolve(file), shards.get(i), dtype);
            for (Tensor t : shards.get(i)) {
                weightMap.put(t.name(), file);
                totalBytes += (long) t.size() * dtype.bytes();
                totalParameters += t.size();
            }
        }
        ObjectNode index = JSON.createObjectNode();
        ObjectNode metadata = index.putObject("metadata");
        metadata.put("total_parameters", totalParameters);
        metadata.put("total_size", totalBytes);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        JSON.writeValue(dir.resolve(SAFETENSORS_INDEX).toFile(), index);
    }

    /**
     * Greedy split in tensor order: a new shard when the next tensor would push the current one past the
     * limit, so a tensor larger than the limit sits alone. (huggingface_hub puts such a tensor in a shard of
     * its own out of order and keeps filling the current one; loaders go by the index either way.)
     */
    private static List<List<Tensor>> shard(List<Tensor> tensors, Dtype dtype, long maxShardBytes) {
        List<List<Tensor>> shards = new ArrayList<>();
        long current = 0;
        for (Tensor t : tensors) {
            long bytes = (long) t.size() * dtype.bytes();
            if (shards.isEmpty() || (current > 0 && current + bytes > maxShardBytes)) {
                shards.add(new ArrayList<>());
                current = 0;
            }
            shards.getLast().add(t);
            current += bytes;
        }
        if (shards.isEmpty()) shards.add(List.of());
        return shards;
    }

    private static void writeShard(Path file, List<Tensor> tensors, Dtype dtype) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt"); // transformers refuses files without it
        for (Tensor t : tensors) w.add(t, dtype);
        w.write(file);
    }

    /** The config as NemotronConfig writes it, with the dtype fields saying what the weights now are. */
    private static void writeConfig(Path dir, NemotronConfig config, Dtype dtype) throws IOException {
        ObjectNode json = config.toJson();
        json.put("dtype", dtype.torchName());
        if (json.has("torch_dtype")) json.put("torch_dtype", dtype.torchName());
        JSON.writeValue(dir.resolve(CONFIG).toFile(), json);
    }

    /** The tensors a checkpoint of {@code config} holds, in HF order, taken from {@code params} and checked. */
    private static List<Tensor> tensorsToWrite(NemotronConfig config, Parameters params) {
        Map<String, Tensor> have = params.asMap();
        List<Tensor> out = new ArrayList<>();
        for (Map.Entry<String, int[]> e : Parameters.expectedShapes(config).entrySet()) {
            Tensor t = have.get(e.getKey());
            if (t == null)
                throw new IllegalArgumentException("parameters lack tensor " + e.getKey() + " that the config implies");
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw new IllegalArgumentException("tensor " + e.getKey() + " has shape " + t.shapeString()
                        + " but the config implies " + Arrays.toString(e.getValue()));
            out.add(t.name().equals(e.getKey()) ? t : t.renamed(e.getKey()));
        }
        return out;
    }

    private static void checkWritable(Dtype dtype, long maxShardBytes) {
        if (!Dtype.writable(dtype))
            throw new IllegalArgumentException("checkpoints are written as F32, BF16 or F16, not " + dtype);
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
    }

    private static void refuseNonCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir) || Files.exists(dir.resolve(CONFIG))) return;
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent())
                throw new FileAlreadyExistsException(dir.toString(), null,
                        "a non-empty folder without config.json; refusing to replace it with a checkpoint");
        }
    }

    /** Copies those of {@link #TOKENIZER_FILES} that {@code src} has into {@code dst}, replacing older copies. */
    public static void copyTokenizerFiles(Path src, Path dst) throws IOException {
        Files.createDirectories(dst);
        for (String name : TOKENIZER_FILES) {
            Path from = src.resolve(name);
            if (Files.isRegularFile(from)) Files.copy(from, dst.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Re-writes a checkpoint (safetensors, sharded or not, or PyTorch .bin) as safetensors in {@code dtype},
     * by default the source's own (F32 where the source is F64 or mixed), sharded above 5 GB, with the
     * tokenizer files and generation_config.json copied.
     */
    public static void convert(Path src, Path dst, Optional<Dtype> dtype) throws IOException {
        LoadedModel model = load(src);
        Dtype target = dtype.orElse(Dtype.writable(model.dtype()) ? model.dtype() : Dtype.F32);
        checkWritable(target, DEFAULT_MAX_SHARD_BYTES);
        List<Tensor> tensors = tensorsToWrite(model.config(), model.params());
        refuseNonCheckpoint(dst);
        AtomicWrites.replaceDirectory(dst, temp -> {
            writeFiles(temp, model.config(), tensors, target, DEFAULT_MAX_SHARD_BYTES);
            copyTokenizerFiles(src, temp);
        });
    }
}
