package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Parameters;

import java.util.List;

/**
 * What a training step minimises, one micro-batch at a time. The {@link TrainingLoop} owns
 * everything else (sampling, accumulation, clipping, the update, logging, checkpoints, the NaN
 * guard), so plain training and distillation differ only in their objective.
 *
 * <p>An implementation keeps its activation buffers between calls (built once for the loop's
 * [batch, seq_len]) and must be deterministic for a given thread count, or resume stops being exact.
 */
public interface Objective {

    /**
     * The JSONL keys of the values {@link #accumulate} returns, in that order. The first is the
     * objective being minimised and the one plotted; e.g. {@code ["ce_loss"]}, or for distillation
     * {@code ["objective", "kd_loss", "ce_loss"]}.
     */
    List<String> metrics();

    /**
     * Forward and backward of one micro-batch: adds {@code weight} times the gradient of the
     * objective (a mean over the micro-batch's positions) into grads, which mirror the trained
     * parameters. Returns the unweighted values of {@link #metrics()} for this micro-batch.
     */
    double[] accumulate(Batch batch, Parameters grads, float weight);

    /** Floating-point operations of one micro-batch (forward and backward, teachers included), for GFLOP/s. */
    double flopsPerMicroBatch();

    /**
     * Tensors trained beside the model's parameters (none by default), whose gradients
     * {@link #accumulate} adds into their {@link TrainableTensor#gradient()} buffers. The optimizer
     * must be built over the same list (see {@link AdamWOptimizer#AdamWOptimizer(Parameters, List,
     * AdamWSettings)}); checkpoints hold them in {@link RunFolder#EXTRA_PARAMETERS}.
     */
    default List<TrainableTensor> extraParameters() {
        return List.of();
    }
}
