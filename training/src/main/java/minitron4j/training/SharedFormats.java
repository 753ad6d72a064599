package minitron4j.training;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place the training module touches file formats owned by the model package (safetensors,
 * HF checkpoints, atomic writes). TEMPORARY STAND-IN: until {@code minitron4j.model.io} is merged
 * this stores tensors in a private length-prefixed format; the merge replaces these bodies with
 * calls to SafetensorsWriter / SafetensorsFile / Checkpoint and nothing else changes.
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

    static void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(metadata.size());
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeInt(tensors.size());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                int[] shape = e.getValue().shape();
                out.writeInt(shape.length);
                for (int d : shape) out.writeInt(d);
                for (float v : e.getValue().data()) out.writeFloat(v);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static TensorSet readTensors(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            Map<String, String> metadata = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) metadata.put(in.readUTF(), in.readUTF());
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                String name = in.readUTF();
                int[] shape = new int[in.readInt()];
                for (int d = 0; d < shape.length; d++) shape[d] = in.readInt();
                Tensor t = Tensor.zeros(name, shape);
                for (int j = 0; j < t.size(); j++) t.data()[j] = in.readFloat();
                tensors.put(name, t);
            }
            return new TensorSet(tensors, metadata);
        }
    }

    /** Writes params as an HF checkpoint (config.json + weights) into dir. */
    static void saveCheckpoint(Parameters params, Path dir) throws IOException {
        params.config().save(dir);
        writeTensors(dir.resolve("model.safetensors"), params.asMap(), Map.of("format", "pt"));
    }

    /** Reads an HF checkpoint folder into an fp32 parameter pool. */
    static Parameters loadCheckpoint(Path dir) throws IOException {
        NemotronConfig c = NemotronConfig.load(dir.resolve("config.json"));
        return Parameters.of(c, readTensors(dir.resolve("model.safetensors")).tensors(), dir.toString());
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
