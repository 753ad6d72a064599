package minitron4j.pruning;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import minitron4j.model.Batch;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.FolderLock;
import minitron4j.model.io.OutputPaths;
import minitron4j.model.io.StreamingCheckpoint;
import minitron4j.model.TensorRows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Entry points for the command line: {@code importance} and {@code prune}. */
public final class Pruning {
    private Pruning() {}

    /**
     * Scores every embedding channel, head, neuron and layer of the model from forward passes over
     * the calibration batches on the backend (which shows the estimator each layer's activations;
     * the statistics accumulate on the host, in double); with {@link ImportanceOptions#depthLoss()}
     * also {@code layers_loss}, from the backend's logits.
     */
    public static ImportanceScores importance(Backend backend, Parameters params, List<Batch> batches, ImportanceOptions options) {
        ImportanceEstimator estimator = new ImportanceEstimator(params.config(), options);
        long tokens = batches.stream().mapToLong(Batch::tokens).sum();
        try (Backend.Session session = backend.open(params);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("importance").setInitialMax(tokens).setUnit(" tok", 1)
                     .setConsumer(new ConsoleProgressBarConsumer(System.err)).showSpeed().build()) {
            for (Batch batch : batches) {
                estimator.add(session, batch);
                bar.stepBy(batch.tokens());
            }
        }
        return withDepthLoss(backend, estimator.scores(), params, batches, options);
    }

    private static ImportanceScores withDepthLoss(Backend backend, ImportanceScores scores, Parameters params, List<Batch> batches,
                                                  ImportanceOptions options) {
        return options.depthLoss() ? scores.withLayersLoss(DepthImportance.layerLossIncrease(backend, params, batches)) : scores;
    }

    /**
     * {@link #importance(Backend, Parameters, List, ImportanceOptions)} of the checkpoint in {@code modelDir} on
     * {@code samples} windows of {@code seqLen} tokens drawn from the data folder's train.bin with the
     * options' seed (0 when it has none); the scores record the model folder and the seed.
     */
    public static ImportanceScores importance(Backend backend, Path modelDir, Path dataDir, int samples, int seqLen, int batchSize,
                                              ImportanceOptions options) throws IOException {
        long seed = options.seed() == null ? 0 : options.seed();
        Checkpoint.LoadedModel source = Checkpoint.load(modelDir, backend.weightStorage());
        List<Batch> batches = Calibration.windows(dataDir, samples, seqLen, batchSize, seed);
        return importance(backend, source.params(), batches, options.withSource(absolute(modelDir), seed));
    }

    /**
     * Chooses the units of the model in {@code modelDir} to keep for {@code target} (by the scores in
     * {@code scoresFile}, or at random when {@code options} carry a seed; then scoresFile must be
     * null), and writes the pruned checkpoint with pruning.json to {@code outDir} in the source's dtype
     * (or {@code dtype}). A safetensors source is cut a row at a time as the checkpoint is written, so
     * memory stays of the order of one row whatever the model's size.
     */
    public static PruningPlan prune(Path modelDir, Path scoresFile, PruningTarget target, PruningOptions options,
                                    Path outDir) throws IOException {
        return prune(modelDir, scoresFile, target, options, outDir, null);
    }

    public static PruningPlan prune(Path modelDir, Path scoresFile, PruningTarget target, PruningOptions options,
                                    Path outDir, Dtype dtype) throws IOException {
        OutputPaths.refuseInputs("--out", outDir, modelDir, scoresFile);
        if (options.random() && scoresFile != null)
            throw new IllegalArgumentException("--random chooses units without scores; drop --scores " + scoresFile
                    + " or --random");
        if (dtype != null && !Dtype.writable(dtype))
            throw new IllegalArgumentException("--dtype must be F32, BF16 or F16, not " + dtype);
        try (FolderLock lock = FolderLock.beside(outDir, "prune")) {
            return pruneOwned(modelDir, scoresFile, target, options, outDir, dtype);
        }
    }

    private static PruningPlan pruneOwned(Path modelDir, Path scoresFile, PruningTarget target, PruningOptions options,
                                          Path outDir, Dtype dtype) throws IOException {
        ImportanceScores scores = scoresFile == null ? null : ImportanceScores.read(scoresFile);
        if (StreamingCheckpoint.canStream(modelDir)) {
            try (StreamingCheckpoint source = StreamingCheckpoint.open(modelDir)) {
                return prune(source, source.dtype(), modelDir, scores, scoresFile, target, options, outDir, dtype);
            }
        }
        Checkpoint.LoadedModel source = Checkpoint.load(modelDir);
        return prune(source.params(), source.dtype(), modelDir, scores, scoresFile, target, options, outDir, dtype);
    }

    private static PruningPlan prune(TensorRows source, Dtype sourceDtype, Path modelDir, ImportanceScores scores,
                                     Path scoresFile, PruningTarget target, PruningOptions options, Path outDir,
                                     Dtype dtype) throws IOException {
        PruningPlan plan = PruningPlan.of(source.config(), scores, target, options);
        Dtype out = dtype != null ? dtype : Dtype.writable(sourceDtype) ? sourceDtype : Dtype.F32;
        PruningRecord record = new PruningRecord(absolute(modelDir), scoresFile == null ? null : absolute(scoresFile),
                target, options, plan);
        PrunedCheckpoint.write(outDir, plan.prunedConfig(), Trimmer.stream(source, plan), out, modelDir, record);
        return plan;
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
