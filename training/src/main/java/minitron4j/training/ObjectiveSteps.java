package minitron4j.training;

import minitron4j.model.Batch;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.util.Arrays;
import java.util.List;

/** Steps on the host: the objective's forward and backward on the CPU kernels, clipping and AdamW over host pools. */
public final class ObjectiveSteps implements TrainingSteps {
    private final Parameters params;
    private final Objective objective;
    private final AdamWOptimizer optimizer;
    private final Parameters grads;

    /** optimizer must be built over params and the objective's extra parameters. */
    public ObjectiveSteps(Parameters params, Objective objective, AdamWOptimizer optimizer) {
        if (!optimizer.extras().equals(objective.extraParameters()))
            throw new IllegalArgumentException("the optimizer must be built over the objective's extra parameters "
                    + objective.extraParameters().stream().map(TrainableTensor::name).toList());
        this.params = params;
        this.objective = objective;
        this.optimizer = optimizer;
        this.grads = Parameters.zeros(params.config());
    }

    @Override
    public List<String> metrics() {
        return objective.metrics();
    }

    @Override
    public String backend() {
        return "cpu";
    }

    @Override
    public double flopsPerMicroBatch() {
        return objective.flopsPerMicroBatch();
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
        grads.zero();
        for (Tensor g : optimizer.extraGradients()) Arrays.fill(g.data(), 0f);
    }

    @Override
    public double[] accumulate(Batch batch, float weight) {
        return objective.accumulate(batch, grads, weight);
    }

    @Override
    public double gradientNorm() {
        return AdamWOptimizer.globalNorm(grads, optimizer.extraGradients());
    }

    @Override
    public void update(double norm, double maxNorm, double lr) {
        AdamWOptimizer.clip(grads, optimizer.extraGradients(), norm, maxNorm);
        optimizer.update(grads, lr);
    }

    @Override
    public void syncToHost() {}

    @Override
    public void syncToBackend() {}

    @Override
    public String firstNonFiniteGradient() {
        String g = AdamWOptimizer.firstNonFinite(grads);
        return g != null ? g : AdamWOptimizer.firstNonFinite(optimizer.extraGradients());
    }
}
