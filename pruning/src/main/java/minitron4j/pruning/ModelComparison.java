package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.io.Checkpoint;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Models side by side on one data folder's validation split: parameter count, validation loss and
 * perplexity (the training module's {@link Evaluator}: non-overlapping windows, token-weighted CE)
 * and forward throughput. Every model is scored at the same window length.
 */
public final class ModelComparison {
    private ModelComparison() {}

    /**
     * @param forwardTokensPerSecond B*T over the wall time of one forward pass of a full batch of
     *                               validation windows, the best of the timed repetitions
     */
    public record Row(String model, long parameters, double valLoss, double perplexity, double forwardTokensPerSecond) {}

    /** The window length INTERFACES.md gives {@code eval}: max_position_embeddings capped at 1024, here the smallest over the models. */
    public static int defaultSeqLen(List<NemotronConfig> configs) {
        int t = 1024;
        for (NemotronConfig c : configs) t = Math.min(t, c.maxPositionEmbeddings());
        return t;
    }

    /** Scores each model on the CPU; seqLen null means {@link #defaultSeqLen}. */
    public static List<Row> compare(List<Path> modelDirs, Path dataDir, Integer seqLen, int batch) throws IOException {
        return compare(modelDirs, dataDir, seqLen, batch, new CpuBackend());
    }

    /** Scores each model with its passes on backend (validation loss and forward speed alike). */
    public static List<Row> compare(List<Path> modelDirs, Path dataDir, Integer seqLen, int batch, Backend backend)
            throws IOException {
        if (modelDirs.isEmpty()) throw new IllegalArgumentException("--models names no model");
        List<NemotronConfig> configs = new ArrayList<>();
        for (Path dir : modelDirs) configs.add(NemotronConfig.load(dir));
        int t = seqLen != null ? seqLen : defaultSeqLen(configs);
        List<Row> rows = new ArrayList<>();
        try (TokenData data = TokenData.open(dataDir)) {
            for (Path dir : modelDirs) {
                Checkpoint.LoadedModel m = Checkpoint.load(dir, backend.weightStorage());
                if (data.vocabSize() > m.config().vocabSize())
                    throw new IllegalArgumentException(dir + ": vocab_size " + m.config().vocabSize() + " is smaller than the data's "
                            + data.vocabSize() + " (" + dataDir + " was made with another tokenizer)");
                try (Backend.Session session = backend.open(m.params())) {
                    Evaluator.Result r = new Evaluator(session, t, batch)
                            .evaluate(data.val(), Long.MAX_VALUE);
                    List<Batch> timing = Calibration.windows(data.val(), batch, t, batch, 0);
                    rows.add(new Row(dir.toString(), m.config().parameterCount(), r.ceLoss(), r.perplexity(),
                            forwardTokensPerSecond(session, timing.get(0), 3)));
                }
            }
        }
        return rows;
    }

    /** Best of repeats timed forward passes (logits to the host included) after one untimed warm-up. */
    static double forwardTokensPerSecond(Backend.Session session, Batch batch, int repeats) {
        session.forward(batch);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            session.forward(batch);
            best = Math.min(best, System.nanoTime() - start);
        }
        return batch.tokens() / (best / 1e9);
    }
}
