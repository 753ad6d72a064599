package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Entry points for the command line: {@code importance} and {@code prune}. */
public final class Pruning {
    private Pruning() {}

    /**
     * Scores every embedding channel, head, neuron and layer of the model from forward passes over
     * the calibration batches; with {@link ImportanceOptions#depthLoss()} also {@code layers_loss}.
     */
    public static ImportanceScores importance(Nemotron model, List<Batch> batches, ImportanceOptions options) {
        ImportanceEstimator estimator = new ImportanceEstimator(model.config(), options);
        for (Batch batch : batches) estimator.add(model, batch);
        return withDepthLoss(estimator.scores(), model.parameters(), batches, options);
    }

    /**
     * {@link #importance(Nemotron, List, ImportanceOptions)} with the forward passes on a backend
     * (the statistics accumulate on the host; {@code layers_loss} runs on the CPU kernels).
     */
    public static ImportanceScores importance(Backend backend, Parameters params, List<Batch> batches, ImportanceOptions options) {
        ImportanceEstimator estimator = new ImportanceEstimator(params.config(), options);
        try (Backend.Session session = backend.open(params)) {
            for (Batch batch : batches) estimator.add(session, params.config(), batch);
        }
        return withDepthLoss(estimator.scores(), params, batches, options);
    }

    private static ImportanceScores withDepthLoss(ImportanceScores scores, Parameters params, List<Batch> batches,
                                                  ImportanceOptions options) {
        return options.depthLoss() ? scores.withLayersLoss(DepthImportance.layerLossIncrease(params, batches)) : scores;
    }

    /**
     * {@link #importance(Nemotron, List, ImportanceOptions)} of the checkpoint in {@code modelDir} on
     * {@code samples} windows of {@code seqLen} tokens drawn from the data folder's train.bin with the
     * options' seed (0 when it has none); the scores record the model folder and the seed.
     */
    public static ImportanceScores importance(Path modelDir, Path dataDir, int samples, int seqLen, int batchSize,
                                              ImportanceOptions options) throws IOException {
        long seed = options.seed() == null ? 0 : options.seed();
        Checkpoint.LoadedModel source = Checkpoint.load(modelDir);
        List<Batch> batches = Calibration.windows(dataDir, samples, seqLen, batchSize, seed);
        return importance(new Nemotron(source.params()), batches, options.withSource(absolute(modelDir), seed));
    }

    /**
     * Loads the model in {@code modelDir}, chooses the units to keep for {@code target} (by the
     * scores in {@code scoresFile}, or at random when {@code options} carry a seed; then
     * scoresFile must be null), cuts the weights and writes the pruned checkpoint with
     * pruning.json to {@code outDir} in the source's dtype.
     */
    public static PruningPlan prune(Path modelDir, Path scoresFile, PruningTarget target, PruningOptions options,
                                    Path outDir) throws IOException {
        if (options.random() && scoresFile != null)
            throw new IllegalArgumentException("--random chooses units without scores; drop --scores " + scoresFile
                    + " or --random");
        Checkpoint.LoadedModel source = Checkpoint.load(modelDir);
        ImportanceScores scores = scoresFile == null ? null : ImportanceScores.read(scoresFile);
        PruningPlan plan = PruningPlan.of(source.config(), scores, target, options);
        Parameters pruned = Trimmer.apply(source.params(), plan);
        Dtype dtype = Dtype.writable(source.dtype()) ? source.dtype() : Dtype.F32;
        PruningRecord record = new PruningRecord(absolute(modelDir), scoresFile == null ? null : absolute(scoresFile),
                target, options, plan);
        PrunedCheckpoint.write(outDir, pruned, dtype, modelDir, record);
        return plan;
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
