package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.Nemotron;

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
        ImportanceScores scores = estimator.scores();
        return options.depthLoss()
                ? scores.withLayersLoss(DepthImportance.layerLossIncrease(model.parameters(), batches))
                : scores;
    }
}
