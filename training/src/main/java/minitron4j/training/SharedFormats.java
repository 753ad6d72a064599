package minitron4j.training;

import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place the training module touches file formats owned by the model package (safetensors,
 * HF checkpoints, atomic writes). Tensors and checkpoints go through {@code minitron4j.model.io}
 * (fp32 safetensors, HF checkpoint folders); the tokenizer is still a stand-in until the data
 * builder's tokenizers land.
 */
final class SharedFormats {
    private SharedFormats() {}

    /** Tensors of one file with their string metadata. */
    record TensorSet(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    @FunctionalInterface
    interface DirectoryWriter {
        void write(Path tempDir) throws IOException;
    }

    /** Writes fp32 tensors (keys in map order, names from the keys) and string metadata as one safetensors file, atomically. */
    static void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        tensors.forEach((name, t) -> w.add(t.renamed(name), Dtype.F32));
        w.write(file);
    }

    static TensorSet readTensors(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : f.names()) tensors.put(name, f.readFloats(name));
            return new TensorSet(tensors, new LinkedHashMap<>(f.metadata()));
        }
    }

    /** Writes params as an fp32 HF checkpoint (config.json + weights) into dir, an existing folder being filled. */
    static void saveCheckpoint(Parameters params, Path dir) throws IOException {
        Checkpoint.writeFiles(dir, params.config(), params, Dtype.F32, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
    }

    /** Reads an HF checkpoint folder (safetensors or PyTorch, sharded or not) into an fp32 parameter pool. */
    static Parameters loadCheckpoint(Path dir) throws IOException {
        return Checkpoint.load(dir).params();
    }

    /** Fills a fresh hidden sibling of target, then renames it to target, which must not exist yet. */
    static void createDirectory(Path target, DirectoryWriter writer) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        deleteRecursively(tmp);
        Files.createDirectories(tmp);
        boolean done = false;
        try {
            writer.write(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) deleteRecursively(tmp);
        }
    }

    /** Replaces target's content at once (temporary sibling, then an atomic rename). */
    static void replaceFile(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** What the data builder needs of a tokenizer. */
    interface TextTokenizer {
        int[] encodeNoSpecial(String text);

        int eosId();

        int vocabSize();

        void save(Path tokenizerJson) throws IOException;
    }

    /** bytes, bpe:VOCAB (trained on trainingTexts) or a tokenizer.json path. */
    static TextTokenizer tokenizer(String spec, List<String> trainingTexts) throws IOException {
        throw new UnsupportedOperationException("tokenizer " + spec + ": tokenizers arrive with minitron4j.model.tokenizer");
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
