package minitron4j.pruning;

import minitron4j.model.NemotronConfig;
import minitron4j.model.io.StreamedTensor;
import minitron4j.model.io.AtomicWrites;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A pruned model on disk: an ordinary HF Nemotron checkpoint (config.json + safetensors, sharded as
 * HF shards) with the source's tokenizer files and generation_config.json, plus {@code pruning.json}.
 * The folder appears complete or not at all.
 */
public final class PrunedCheckpoint {
    private PrunedCheckpoint() {}

    public static void write(Path outDir, NemotronConfig config, List<StreamedTensor> tensors, Dtype dtype, Path sourceDir,
                             PruningRecord record) throws IOException {
        if (outDir.toAbsolutePath().normalize().equals(sourceDir.toAbsolutePath().normalize()))
            throw new IllegalArgumentException("--out " + outDir + " is the source model's folder; choose another");
        refuseForeignFolder(outDir);
        AtomicWrites.replaceDirectory(outDir, temp -> {
            Checkpoint.writeStreamed(temp, config, tensors, dtype, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
            Checkpoint.copyTokenizerFiles(sourceDir, temp);
            record.write(temp);
        });
    }

    /** Replacing a folder that holds something other than a checkpoint would destroy unrelated files. */
    private static void refuseForeignFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir) || Files.exists(dir.resolve("config.json"))) return;
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isPresent())
                throw new FileAlreadyExistsException(dir.toString(), null,
                        "a non-empty folder without config.json; refusing to replace it with the pruned model");
        }
    }
}
