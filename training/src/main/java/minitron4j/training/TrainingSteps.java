package minitron4j.training;

import minitron4j.model.Batch;
import minitron4j.model.Parameters;

import java.util.List;

/**
 * How the {@link TrainingLoop} computes and applies a step's gradients: on the host through an
 * {@link Objective} and an {@link AdamWOptimizer} ({@link ObjectiveSteps}), or on a backend that keeps
 * weights, gradients and moments on its device ({@link BackendSteps}). The loop owns the rest:
 * sampling, logging, validation, checkpoints, the NaN guard.
 *
 * <p>The host pools {@link #parameters()} and {@link #optimizer()} are what checkpoints write and
 * resume reads; a backend brings its state into them in {@link #syncToHost} and takes a restored
 * state from them in {@link #syncToBackend}.
 */
public interface TrainingSteps {
    /** The JSONL keys of what {@link #accumulate} returns; the first is the objective minimised. */
    List<String> metrics();

    /** The name of the backend the steps run on ({@code --backend}), for the run's manifest. */
    String backend();

    /** Floating-point operations of one micro-batch, for GFLOP/s. */
    double flopsPerMicroBatch();

    /** The trained parameters on the host. */
    Parameters parameters();

    /** The optimizer whose moments, step count and extra tensors checkpoints hold. */
    AdamWOptimizer optimizer();

    /** Clears the gradients before a step's first micro-batch. */
    void zeroGradients();

    /** Adds weight times one micro-batch's gradients; returns the unweighted values of {@link #metrics()}. */
    double[] accumulate(Batch batch, float weight);

    /** The global L2 norm of the step's gradients (not finite when any gradient is not). */
    double gradientNorm();

    /** Clips by the norm to maxNorm (0 = off), then one AdamW update at lr. */
    void update(double norm, double maxNorm, double lr);

    /** Brings parameters and optimizer state into {@link #parameters()} and {@link #optimizer()}. */
    void syncToHost();

    /** Sends parameters and optimizer state restored into the host pools to where the steps run. */
    void syncToBackend();

    /** The first non-finite gradient entry as "name[i] = value", or null. */
    String firstNonFiniteGradient();
}
