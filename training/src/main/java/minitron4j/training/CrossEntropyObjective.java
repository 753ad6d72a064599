package minitron4j.training;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;

import java.util.List;

/** Next-token cross-entropy (HF's causal-LM loss): the objective of plain training. */
public final class CrossEntropyObjective implements Objective {
    public static final String CE_LOSS = "ce_loss";

    private final Nemotron model;
    private final Activations acts;
    private final double flops;

    /** Buffers for micro-batches of [batch, seqLen] are allocated here, once. */
    public CrossEntropyObjective(Nemotron model, int batch, int seqLen) {
        this.model = model;
        this.acts = model.trainingActivations(batch, seqLen);
        // backward costs about twice the forward: 3x in all
        this.flops = 3 * Nemotron.forwardFlops(model.config(), batch, seqLen);
    }

    @Override
    public List<String> metrics() {
        return List.of(CE_LOSS);
    }

    @Override
    public double[] accumulate(Batch batch, Parameters grads, float weight) {
        return new double[]{model.crossEntropyStep(batch, acts, grads, weight)};
    }

    @Override
    public double flopsPerMicroBatch() {
        return flops;
    }
}
