package minitron4j.pruning;

/**
 * How importance is estimated, and where the calibration came from (kept in scores.json so a
 * scores file says how it was made).
 *
 * @param seqAgg     aggregation over the positions of one sample (default mean)
 * @param batchAgg   aggregation of the per-sample values over samples (default L2)
 * @param neuron     which MLP activation scores a neuron (default pre)
 * @param head       how a head's channels become one score (default per-token)
 * @param depthLoss  also compute {@code layers_loss}: the calibration CE increase when one layer is skipped
 * @param seed       the seed that drew the calibration windows, or null when they were given
 * @param model      the model directory, or null
 */
public record ImportanceOptions(Aggregation seqAgg, Aggregation batchAgg, NeuronActivation neuron,
                                HeadStatistic head, boolean depthLoss, Long seed, String model) {
    public ImportanceOptions {
        if (seqAgg == null || batchAgg == null || neuron == null || head == null)
            throw new IllegalArgumentException("seqAgg, batchAgg, neuron and head are required");
    }

    /** P1's best choice: sequence mean, batch L2, pre-activation neurons, per-token head norms; no depth loss. */
    public static ImportanceOptions defaults() {
        return new ImportanceOptions(Aggregation.MEAN, Aggregation.L2, NeuronActivation.PRE, HeadStatistic.PER_TOKEN,
                false, null, null);
    }

    public ImportanceOptions withAggregations(Aggregation seq, Aggregation batch) {
        return new ImportanceOptions(seq, batch, neuron, head, depthLoss, seed, model);
    }

    public ImportanceOptions withNeuron(NeuronActivation n) {
        return new ImportanceOptions(seqAgg, batchAgg, n, head, depthLoss, seed, model);
    }

    public ImportanceOptions withHead(HeadStatistic h) {
        return new ImportanceOptions(seqAgg, batchAgg, neuron, h, depthLoss, seed, model);
    }

    public ImportanceOptions withDepthLoss(boolean on) {
        return new ImportanceOptions(seqAgg, batchAgg, neuron, head, on, seed, model);
    }

    public ImportanceOptions withSource(String modelDir, Long calibrationSeed) {
        return new ImportanceOptions(seqAgg, batchAgg, neuron, head, depthLoss, calibrationSeed, modelDir);
    }
}
