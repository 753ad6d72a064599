package minitron4j.model.io;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code init}: a randomly initialised HF checkpoint of any config, with HF's initialiser (normal with
 * {@code initializer_range}, LayerNorm1P weights and biases 0), written a block of rows at a time so
 * that a model larger than memory can be made. Its values are exactly those of
 * {@link Parameters#initialize} for the same seed.
 */
public final class RandomCheckpoint {
    private RandomCheckpoint() {}

    public static void write(Path dir, NemotronConfig config, Dtype dtype, long seed) throws IOException {
        write(dir, config, dtype, seed, Checkpoint.DEFAULT_MAX_SHARD_BYTES);
    }

    public static void write(Path dir, NemotronConfig config, Dtype dtype, long seed, long maxShardBytes) throws IOException {
        Map<String, SplittableRandom> generators = Parameters.initGenerators(config, seed);
        double std = config.initializerRange();
        List<StreamedTensor> tensors = Parameters.expectedShapes(config).entrySet().stream().map(e -> {
            SplittableRandom r = generators.get(e.getKey());
            int cols = Tensor.rowLength(e.getValue());
            return new StreamedTensor(e.getKey(), e.getValue(), (first, count, dst) -> {
                int n = count * cols;
                if (r == null) Arrays.fill(dst, 0, n, 0f);
                else Parameters.fillNormal(r, std, dst, 0, n); // rows come in order, so the stream continues
            });
        }).toList();
        Checkpoint.refuseNonCheckpoint(dir);
        AtomicWrites.replaceDirectory(dir, temp -> Checkpoint.writeStreamed(temp, config, tensors, dtype, maxShardBytes));
    }
}
