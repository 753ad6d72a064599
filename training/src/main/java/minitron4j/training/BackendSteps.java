package minitron4j.training;

import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;

import java.util.List;

/**
 * Steps on a backend that keeps the weights, gradients and AdamW moments on its device
 * ({@link Backend.Training}): per micro-batch only the ids go in and the loss comes out; per step
 * the norm comes out. The objective is next-token cross-entropy, or the forward KL at tau to the
 * logits of a teacher held on the same backend (the distillation loss of the paper, without a CE
 * term).
 * The host pools are a mirror, filled before checkpoints ({@link #syncToHost}).
 */
public final class BackendSteps implements TrainingSteps, AutoCloseable {
    private final Parameters params;
    private final AdamWOptimizer optimizer;
    private final String backend;
    private final Backend.Session session;
    private final Backend.Training training;
    /** The training again when it distils from a resident teacher, else null. */
    private final Backend.Distillation distillation;
    private final float tau;
    private final List<String> metrics;
    private final double flops;

    /**
     * Cross-entropy training of params (opened on the backend here, closed with this) with
     * micro-batches of [batch, seqLen].
     */
    public static BackendSteps crossEntropy(Backend backend, Parameters params, AdamWOptimizer optimizer,
                                            int batch, int seqLen) {
        return new BackendSteps(backend, params, optimizer, batch, seqLen, null, 1f,
                List.of(CrossEntropyObjective.CE_LOSS), 3 * Nemotron.forwardFlops(params.config(), batch, seqLen));
    }

    /**
     * Distillation from teacher, held beside the student on the backend: the loss is KL(teacher ||
     * student) at tau times tau^2; metrics names its JSONL keys (the objective first, the KL second,
     * both the same value).
     */
    public static BackendSteps distillation(Backend backend, Parameters teacher, Parameters params, AdamWOptimizer optimizer,
                                            int batch, int seqLen, float tau, List<String> metrics) {
        return new BackendSteps(backend, params, optimizer, batch, seqLen, teacher, tau, metrics,
                3 * Nemotron.forwardFlops(params.config(), batch, seqLen) + Nemotron.forwardFlops(teacher.config(), batch, seqLen));
    }

    private BackendSteps(Backend backend, Parameters params, AdamWOptimizer optimizer, int batch, int seqLen,
                         Parameters teacher, float tau, List<String> metrics, double flops) {
        if (!optimizer.extras().isEmpty())
            throw new IllegalArgumentException("a backend trains the model's parameters only; the optimizer has extra tensors "
                    + optimizer.extras().stream().map(TrainableTensor::name).toList());
        this.backend = backend.name();
        this.session = backend.open(params);
        this.params = params;
        this.optimizer = optimizer;
        try {
            this.distillation = teacher == null ? null : session.distillation(teacher, batch, seqLen, optimizer.settings());
            this.training = teacher == null ? session.training(batch, seqLen, optimizer.settings()) : distillation;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        this.tau = tau;
        this.metrics = List.copyOf(metrics);
        this.flops = flops;
    }

    @Override
    public List<String> metrics() {
        return metrics;
    }

    @Override
    public String backend() {
        return backend;
    }

    @Override
    public double flopsPerMicroBatch() {
        return flops;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public AdamWOptimizer optimizer() {
        return optimizer;
    }

    @Override
    public void zeroGradients() {
        training.zeroGradients();
    }

    @Override
    public double[] accumulate(Batch batch, float weight) {
        double loss = training.accumulate(batch, null, tau, weight);
        double[] values = new double[metrics.size()];
        java.util.Arrays.fill(values, loss);
        return values;
    }

    @Override
    public double gradientNorm() {
        return training.gradientNorm();
    }

    @Override
    public void update(double norm, double maxNorm, double lr) {
        training.update(norm, maxNorm, lr, optimizer.countStep());
    }

    @Override
    public void syncToHost() {
        training.readParameters(params);
        training.readMoments(optimizer.expAvg(), optimizer.expAvgSq());
    }

    @Override
    public void syncToBackend() {
        training.writeParameters(params);
        training.writeMoments(optimizer.expAvg(), optimizer.expAvgSq());
    }

    @Override
    public String firstNonFiniteGradient() {
        Parameters grads = Parameters.zeros(params.config());
        training.readGradients(grads);
        return AdamWOptimizer.firstNonFinite(grads);
    }

    /** The logits [B*T, V] of a batch of the training shape from the trained weights (validation). */
    public float[] logits(Batch batch) {
        return session.forward(batch);
    }

    /** The resident teacher's logits [B*T, V] of a batch of the training shape (validation of a distillation). */
    public float[] teacherLogits(Batch batch) {
        if (distillation == null) throw new IllegalStateException("these steps train without a teacher");
        return distillation.teacherLogits(batch);
    }

    @Override
    public void close() {
        training.close();
        session.close();
    }
}
