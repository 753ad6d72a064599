package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.training.TokenData;
import minitron4j.training.TokenFile;
import minitron4j.training.WindowSampler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Calibration samples for importance estimation: {@code samples} windows of {@code seqLen} tokens
 * drawn from a data folder's train.bin by seed (the training module's {@link WindowSampler}), grouped
 * into batches of at most {@code batchSize} rows.
 */
public final class Calibration {
    private Calibration() {}

    public static List<Batch> windows(Path dataDir, int samples, int seqLen, int batchSize, long seed) throws IOException {
        try (TokenData data = TokenData.open(dataDir)) {
            return windows(data.train(), samples, seqLen, batchSize, seed);
        }
    }

    public static List<Batch> windows(TokenFile tokens, int samples, int seqLen, int batchSize, long seed) {
        if (samples < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        WindowSampler sampler = new WindowSampler(tokens, seqLen, seed);
        List<Batch> batches = new ArrayList<>();
        for (int done = 0; done < samples; ) {
            int rows = Math.min(batchSize, samples - done);
            int[] ids = new int[rows * seqLen];
            sampler.next(ids, rows);
            batches.add(Batch.of(ids, rows, seqLen));
            done += rows;
        }
        return batches;
    }
}
