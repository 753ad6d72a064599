package minitron4j.model.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.kernels.HalfFloat;
import minitron4j.kernels.WeightMatrix;
import minitron4j.model.MemoryCheck;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.SystemMemory;
import minitron4j.model.TensorRows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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

    /**
     * The system property that skips the check of every weight for NaN and infinity on load (the
     * command line's {@code --allow-nonfinite}).
     */
    public static final String ALLOW_NONFINITE = "minitron4j.allowNonFinite";

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

    /** Reads every weight into fp32 on the heap: what training needs. */
    public static LoadedModel load(Path dir) throws IOException {
        return load(dir, WeightStorage.F32);
    }

    /**
     * Opens a checkpoint with its weights kept as {@code storage} says: {@link WeightStorage#AS_STORED}
     * keeps bf16/f16 matrices of safetensors files in their stored bytes, off the heap (read into
     * process memory while it fits, else served from the mapped file: see {@link Placement}) and
     * decodes only the norms; PyTorch .bin files and fp32 tensors are read into fp32. A model larger
     * than the machine is refused before anything is read. Every weight is then checked for NaN and
     * infinity (unless {@link #ALLOW_NONFINITE}), and the first one found is named.
     */
    public static LoadedModel load(Path dir, WeightStorage storage) throws IOException {
        LoadedModel model = read(dir, storage);
        if (!Boolean.getBoolean(ALLOW_NONFINITE)) {
            String bad = model.params().firstNonFinite();
            if (bad != null)
                throw new ModelFormatException(dir + ": " + bad + " is not finite (a damaged or diverged checkpoint);"
                        + " --allow-nonfinite loads it anyway");
        }
        return model;
    }

    private static LoadedModel read(Path dir, WeightStorage storage) throws IOException {
        if (Files.isRegularFile(dir))
            throw new ModelFormatException(dir + ": is a file; a model is the folder that holds config.json and the weights ("
                    + dir.toAbsolutePath().getParent() + "?)");
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a checkpoint folder (no such folder)");
        NemotronConfig config = NemotronConfig.load(dir.resolve(CONFIG));
        if (storage == WeightStorage.F32)
            MemoryCheck.of("loading " + dir + " in fp32").heap("fp32 weights", config.parameterCount() * Float.BYTES)
                    .remedy("a command that reads the weights as stored (bf16) instead of training them").check();
        if (storage == WeightStorage.AS_STORED && StreamingCheckpoint.canStream(dir)) {
            // Before anything is read: a model larger than the machine would page on every token.
            try (StreamingCheckpoint headers = StreamingCheckpoint.open(dir)) {
                MemoryCheck.of("opening " + dir).mapped("weights", headers.weightBytes())
                        .remedy("prune it first (prune streams from the file at any size)").check();
            }
        }
        Opener safetensors = storage == WeightStorage.AS_STORED ? SafetensorsFile::openKeptMapped : SafetensorsFile::open;
        if (Files.isRegularFile(dir.resolve(SAFETENSORS)))
            return loadShards(config, dir.resolve(SAFETENSORS), singleShard(dir.resolve(SAFETENSORS)), safetensors, storage);
        if (Files.isRegularFile(dir.resolve(SAFETENSORS_INDEX)))
            return loadShards(config, dir.resolve(SAFETENSORS_INDEX), shards(dir), safetensors, storage);
        if (Files.isRegularFile(dir.resolve(TORCH_BIN)))
            return loadShards(config, dir.resolve(TORCH_BIN), singleShard(dir.resolve(TORCH_BIN)), TorchCheckpointReader::open, storage);
        if (Files.isRegularFile(dir.resolve(TORCH_INDEX)))
            return loadShards(config, dir.resolve(TORCH_INDEX), readIndex(dir, dir.resolve(TORCH_INDEX)),
                    TorchCheckpointReader::open, storage);
        for (String name : List.of(SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, TORCH_INDEX))
            if (Files.exists(dir.resolve(name)))
                throw new ModelFormatException(dir.resolve(name) + ": not a regular file (a device, a folder or a broken link?)");
        throw new ModelFormatException(dir + ": no weights found (looked for " + SAFETENSORS + ", " + SAFETENSORS_INDEX
                + ", " + TORCH_BIN + ", " + TORCH_INDEX + ")");
    }

    /** A file's own tensors, every one of them (null: the names come from the file). */
    private static LinkedHashMap<Path, List<String>> singleShard(Path file) {
        LinkedHashMap<Path, List<String>> m = new LinkedHashMap<>();
        m.put(file, null);
        return m;
    }

    /** The safetensors files of a checkpoint folder and the tensors each holds (single file or index). */
    static LinkedHashMap<Path, List<String>> shards(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(SAFETENSORS))) return singleShard(dir.resolve(SAFETENSORS));
        if (Files.isRegularFile(dir.resolve(SAFETENSORS_INDEX))) return readIndex(dir, dir.resolve(SAFETENSORS_INDEX));
        throw new ModelFormatException(dir + ": no safetensors weights (looked for " + SAFETENSORS + ", "
                + SAFETENSORS_INDEX + ")");
    }

    private static LoadedModel loadShards(NemotronConfig config, Path source, LinkedHashMap<Path, List<String>> shards,
                                          Opener opener, WeightStorage storage) throws IOException {
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        LinkedHashMap<String, WeightMatrix.Half> halves = new LinkedHashMap<>();
        HashMap<String, Dtype> dtypes = new HashMap<>();
        Placement placement = storage == WeightStorage.AS_STORED ? Placement.choose() : null;
        for (Map.Entry<Path, List<String>> shard : shards.entrySet()) {
            try (TensorFile f = opener.open(shard.getKey());
                 FileChannel ch = placement != null && placement.budget > 0 ? FileChannel.open(shard.getKey()) : null) {
                for (String name : shard.getValue() == null ? f.names() : shard.getValue()) {
                    if (!f.contains(name))
                        throw new ModelFormatException(source + ": weight_map puts tensor \"" + name + "\" in "
                                + source.getParent().relativize(shard.getKey()) + ", but that shard has no such tensor");
                    TensorInfo info = f.info(name);
                    dtypes.put(name, info.dtype());
                    WeightMatrix.Half kept = placement != null && f instanceof SafetensorsFile st
                            ? keptAsStored(st, info, ch, placement) : null;
                    if (kept != null) halves.put(name, kept);
                    else tensors.put(name, f.readFloats(name));
                }
            }
        }
        LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();
        tensors.forEach((n, t) -> shapes.put(n, t.shape()));
        halves.forEach((n, m) -> shapes.put(n, new int[]{m.rows(), m.cols()}));
        Parameters.checkTable(config, shapes, source.toString()); // under the file's names, so that errors quote them
        Parameters params = Parameters.asStored(config, internalNames(config, tensors), internalNames(config, halves),
                source.toString());
        Dtype stored = null;
        for (String name : params.names()) {
            Dtype d = dtypes.get(config.architecture().fileKey(name));
            stored = stored == null || stored == d ? d : Dtype.F32;
        }
        return new LoadedModel(config, params, stored);
    }

    /**
     * The file's tensors under the project's names ({@link minitron4j.model.Architecture#fileKey}
     * inverted over the config's table); names outside it (old rope buffers) are dropped.
     */
    @SuppressWarnings("unchecked")
    private static <T> LinkedHashMap<String, T> internalNames(NemotronConfig config, Map<String, T> byFileKey) {
        Map<String, String> internal = new HashMap<>();
        for (String name : Parameters.expectedShapes(config).keySet()) internal.put(config.architecture().fileKey(name), name);
        LinkedHashMap<String, T> out = new LinkedHashMap<>();
        byFileKey.forEach((key, value) -> {
            String name = internal.get(key);
            if (name != null) out.put(name, value instanceof Tensor t && !name.equals(key) ? (T) t.renamed(name) : value);
        });
        return out;
    }

    /**
     * A bf16/f16 matrix in its stored bytes, read into memory outside the heap while the placement's
     * budget lasts, else a view of the mapped file; null for what is read into fp32 instead.
     */
    private static WeightMatrix.Half keptAsStored(SafetensorsFile f, TensorInfo info, FileChannel ch, Placement placement)
            throws IOException {
        HalfFloat format = info.dtype().halfFloat();
        if (format == null || info.shape().length != 2) return null;
        long size = info.byteSize();
        MemorySegment bytes = placement.take(size)
                ? ResidentWeights.read(ch, f.path(), f.fileOffset(info.name()), size, placement.arena)
                : f.bytes(info.name());
        return WeightMatrix.of(bytes, format, info.shape()[0], info.shape()[1]);
    }

    /**
     * Where stored matrices live ({@code -Dminitron4j.weights=auto|resident|mapped}, default auto): read
     * into memory outside the heap (twice as fast to decode from, see {@link ResidentWeights}) as long
     * as they fit in the memory available now less 2 GB of headroom, the rest served from the mapped
     * file, which also works for a model larger than memory.
     */
    private static final class Placement {
        final Arena arena = Arena.ofAuto();
        long budget;

        private Placement(long budget) {
            this.budget = budget;
        }

        static Placement choose() {
            String mode = System.getProperty("minitron4j.weights", "auto");
            return switch (mode) {
                case "mapped" -> new Placement(0);
                case "resident" -> new Placement(Long.MAX_VALUE);
                case "auto" -> new Placement(Math.max(0, SystemMemory.available() - (2L << 30)));
                default -> throw new IllegalArgumentException("-Dminitron4j.weights must be auto, resident or mapped, not " + mode);
            };
        }

        boolean take(long bytes) {
            if (bytes > budget) return false;
            budget -= bytes;
            return true;
        }
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
        writeStreamed(dir, config, tensors.stream().map(StreamedTensor::of).toList(), dtype, maxShardBytes);
    }

    /**
     * Writes config.json and the weights into an existing folder as {@code dtype}, one tensor block at a
     * time: a model larger than memory can be written (init, convert, prune). The tensors must be the
     * config's, in HF order (see {@link Parameters#expectedShapes}).
     */
    public static void writeStreamed(Path dir, NemotronConfig config, List<StreamedTensor> tensors, Dtype dtype,
                                     long maxShardBytes) throws IOException {
        checkWritable(dtype, maxShardBytes);
        checkTable(config, tensors);
        tensors = tensors.stream().map(t -> new StreamedTensor(config.architecture().fileKey(t.name()), t.shape(), t.source())).toList();
        writeConfig(dir, config, dtype);
        List<List<StreamedTensor>> shards = shard(tensors, dtype, maxShardBytes);
        Map<String, String> metadata = Map.of("format", "pt"); // transformers refuses files without it
        if (shards.size() == 1) {
            SafetensorsStreamWriter.write(dir.resolve(SAFETENSORS), metadata, shards.getFirst(), dtype);
            return;
        }
        TreeMap<String, String> weightMap = new TreeMap<>(); // HF writes the map with sorted keys
        long totalBytes = 0, totalParameters = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsStreamWriter.write(dir.resolve(file), metadata, shards.get(i), dtype);
            for (StreamedTensor t : shards.get(i)) {
                weightMap.put(t.name(), file);
                totalBytes += t.numel() * dtype.bytes();
                totalParameters += t.numel();
            }
        }
        ObjectNode index = JSON.createObjectNode();
        ObjectNode metadataNode = index.putObject("metadata");
        metadataNode.put("total_parameters", totalParameters);
        metadataNode.put("total_size", totalBytes);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        JSON.writeValue(dir.resolve(SAFETENSORS_INDEX).toFile(), index);
    }

    /** Streamed tensors must be exactly the config's table, in its order and shapes. */
    private static void checkTable(NemotronConfig config, List<StreamedTensor> tensors) {
        List<Map.Entry<String, int[]>> expected = new ArrayList<>(Parameters.expectedShapes(config).entrySet());
        if (expected.size() != tensors.size())
            throw new IllegalArgumentException(tensors.size() + " tensors to write, but the config implies " + expected.size());
        for (int i = 0; i < tensors.size(); i++) {
            StreamedTensor t = tensors.get(i);
            if (!t.name().equals(expected.get(i).getKey()) || !Arrays.equals(t.shape(), expected.get(i).getValue()))
                throw new IllegalArgumentException("tensor " + i + " to write is " + t.name() + " " + Arrays.toString(t.shape())
                        + " but the config implies " + expected.get(i).getKey() + " " + Arrays.toString(expected.get(i).getValue()));
        }
    }

    /**
     * Greedy split in tensor order: a new shard when the next tensor would push the current one past the
     * limit, so a tensor larger than the limit sits alone. (huggingface_hub puts such a tensor in a shard of
     * its own out of order and keeps filling the current one; loaders go by the index either way.)
     */
    private static List<List<StreamedTensor>> shard(List<StreamedTensor> tensors, Dtype dtype, long maxShardBytes) {
        List<List<StreamedTensor>> shards = new ArrayList<>();
        long current = 0;
        for (StreamedTensor t : tensors) {
            long bytes = t.numel() * dtype.bytes();
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

    /** The config as NemotronConfig writes it, with the dtype fields saying what the weights now are. */
    private static void writeConfig(Path dir, NemotronConfig config, Dtype dtype) throws IOException {
        ObjectNode json = config.toJson();
        // transformers 5 reads "dtype", earlier versions (and the released Minitron configs) "torch_dtype"
        json.put("dtype", dtype.torchName());
        json.put("torch_dtype", dtype.torchName());
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

    static void refuseNonCheckpoint(Path dir) throws IOException {
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
     * tokenizer files and generation_config.json copied. Safetensors sources are streamed a row at a
     * time, so a model larger than memory converts.
     */
    public static void convert(Path src, Path dst, Optional<Dtype> dtype) throws IOException {
        OutputPaths.refuseInputs("--out", dst, src);
        try (FolderLock lock = FolderLock.beside(dst, "convert")) {
            convertOwned(src, dst, dtype);
        }
    }

    private static void convertOwned(Path src, Path dst, Optional<Dtype> dtype) throws IOException {
        if (StreamingCheckpoint.canStream(src)) {
            try (StreamingCheckpoint source = StreamingCheckpoint.open(src)) {
                convert(source, source.dtype(), src, dst, dtype);
            }
        } else {
            LoadedModel model = load(src);
            convert(model.params(), model.dtype(), src, dst, dtype);
        }
    }

    private static void convert(TensorRows source, Dtype sourceDtype, Path src, Path dst, Optional<Dtype> dtype)
            throws IOException {
        Dtype target = dtype.orElse(Dtype.writable(sourceDtype) ? sourceDtype : Dtype.F32);
        checkWritable(target, DEFAULT_MAX_SHARD_BYTES);
        NemotronConfig config = source.config();
        List<StreamedTensor> tensors = Parameters.expectedShapes(config).keySet().stream()
                .map(name -> StreamedTensor.of(source, name)).toList();
        refuseNonCheckpoint(dst);
        AtomicWrites.replaceDirectory(dst, temp -> {
            writeStreamed(temp, config, tensors, target, DEFAULT_MAX_SHARD_BYTES);
            copyTokenizerFiles(src, temp);
        });
    }
}
