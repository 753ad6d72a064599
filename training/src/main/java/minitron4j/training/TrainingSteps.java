package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Loss;

import java.util.List;

/**
 * How the {@link TrainingLoop} computes and applies a step's gradients, on any backend: a
 * {@link Backend.Training} keeps the weights, gradients and AdamW moments where the backend
 * computes (on the CPU the weights are the caller's pool, gradients and moments the training's
 * own; on TornadoVM all of them stay on the device); per micro-batch only the ids
 * go in and the loss's values come out, per step the norm. The loop owns the rest: sampling,
 * logging, validation, checkpoints, the NaN guard.
 *
 * <p>The host pools {@link #parameters()} and {@link #optimizer()} are what checkpoints write and
 * resume reads: {@link #syncToHost} brings the backend's state into them, {@link #syncToBackend}
 * sends a restored state back.
 */
public final class TrainingSteps implements AutoCloseable {
    private final Parameters params;
    private final OptimizerState optimizer;
    private final String backendName;
    private final Backend.Session session;
    private final Backend.Training training;
    private final double flops;

    /**
     * Training of params (opened on the backend here, closed with this) to minimise loss with
     * micro-batches of [batch, seqLen]; refused with the backend's reason for a loss it does not run.
     */
    public TrainingSteps(Backend backend, Parameters params, Loss loss, AdamWSettings settings, int batch, int seqLen) {
        String unsupported = backend.unsupported(loss);
        if (unsupported != null) throw new IllegalArgumentException("--backend " + backend.name() + ": " + unsupported);
        this.backendName = backend.name();
        this.params = params;
        this.session = backend.open(params);
        Backend.Training opened = null;
        try {
            opened = session.training(loss, batch, seqLen, settings);
            this.optimizer = new OptimizerState(params, opened.extraParameters().stream().map(TrainableTensor::of).toList(), settings);
        } catch (RuntimeException e) {
            if (opened != null) opened.close();
            session.close();
            throw e;
        }
        this.training = opened;
        // the student's backward costs about twice its forward; a teacher runs forward only
        double student = 3 * Nemotron.forwardFlops(params.config(), batch, seqLen);
        this.flops = loss instanceof Loss.Distillation d ? student + Nemotron.forwardFlops(d.teacher().config(), batch, seqLen) : student;
    }

    /** The JSONL keys of what {@link #accumulate} returns; the first is the objective minimised. */
    public List<String> metrics() {
        return training.metrics();
    }

    /** The name of the backend the steps run on ({@code --backend}), for the run's manifest. */
    public String backend() {
        return backendName;
    }

    /** Floating-point operations of one micro-batch (forward and backward, a teacher's forward included), for GFLOP/s. */
    public double flopsPerMicroBatch() {
        return flops;
    }

    /** The trained parameters on the host. */
    public Parameters parameters() {
        return params;
    }

    /** AdamW's state on the host, with the tensors trained beside the model. */
    public OptimizerState optimizer() {
        return optimizer;
    }

    /** Clears the gradients before a step's first micro-batch. */
    public void zeroGradients() {
        training.zeroGradients();
    }

    /** Adds weight times one micro-batch's gradients; returns the unweighted values of {@link #metrics()}. */
    public double[] accumulate(Batch batch, float weight) {
        return training.accumulate(batch, weight);
    }

    /** The global L2 norm of the step's gradients (not finite when any gradient is not). */
    public double gradientNorm() {
        return training.gradientNorm();
    }

    /** Clips by the norm to maxNorm (0 = off), then one AdamW update at lr. */
    public void update(double norm, double maxNorm, double lr) {
        training.update(norm, maxNorm, lr, optimizer.countStep());
    }

    /** Brings parameters and optimizer state into {@link #parameters()} and {@link #optimizer()}. */
    public void syncToHost() {
        training.readParameters(params);
        training.readMoments(optimizer.expAvg(), optimizer.expAvgSq());
        training.readExtras(optimizer.extraValues(), optimizer.extraGradients(), optimizer.extraExpAvg(), optimizer.extraExpAvgSq());
    }

    /** Sends parameters and optimizer state restored into the host pools to where the steps run. */
    public void syncToBackend() {
        training.writeParameters(params);
        training.writeMoments(optimizer.expAvg(), optimizer.expAvgSq());
        training.writeExtras(optimizer.extraValues(), optimizer.extraExpAvg(), optimizer.extraExpAvgSq());
    }

    /**
     * The first non-finite gradient entry as "name[i] = value", or null. Brings the extras' state
     * into the host mirror to read their gradients (a diverged run writes no checkpoint after it).
     */
    public String firstNonFiniteGradient() {
        Parameters grads = Parameters.zeros(params.config());
        training.readGradients(grads);
        String bad = grads.firstNonFinite();
        if (bad != null) return bad;
        training.readExtras(optimizer.extraValues(), optimizer.extraGradients(), optimizer.extraExpAvg(), optimizer.extraExpAvgSq());
        return firstNonFinite(optimizer.extraGradients());
    }

    /** The first non-finite entry of the host parameters, else of the extra tensors; null when all are finite. */
    public String firstNonFiniteParameter() {
        String bad = params.firstNonFinite();
        return bad != null ? bad : firstNonFinite(optimizer.extraValues());
    }

    private static String firstNonFinite(List<Tensor> tensors) {
        for (Tensor t : tensors) {
            String bad = t.firstNonFinite();
            if (bad != null) return bad;
        }
        return null;
    }

    /** The logits [B*T, V] of a batch of the training shape from the trained weights (validation). */
    public float[] logits(Batch batch) {
        return session.forward(batch);
    }

    /** The teacher's logits [B*T, V] of a batch of the training shape (validation of a distillation). */
    public float[] teacherLogits(Batch batch) {
        return training.teacherLogits(batch);
    }

    @Override
    public void close() {
        try {
            training.close();
        } finally {
            session.close();
        }
    }
}
