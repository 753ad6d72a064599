package minitron4j.pruning;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Depth importance by loss: how much the calibration cross-entropy rises when a layer, or a
 * contiguous block of layers, is skipped (its input passed straight on as its output). The loss is
 * HF's next-token CE, token-weighted over all calibration batches.
 */
public final class DepthImportance {
    private DepthImportance() {}

    /** Token-weighted mean next-token CE of the model over the batches, from the backend's logits. */
    public static double calibrationLoss(Backend backend, Parameters params, List<Batch> batches) {
        params.config().requireCausalLm("depth importance by loss (--depth-loss)");
        double sum = 0;
        long count = 0;
        try (Backend.Session session = backend.open(params)) {
            for (Batch batch : batches) {
                float[] logits = session.forward(batch);
                int[] targets = batch.nextTokenTargets();
                int n = CrossEntropy.count(targets, batch.tokens());
                sum += CrossEntropy.forward(logits, targets, batch.tokens(), params.config().vocabSize(), null) * n;
                count += n;
            }
        }
        if (count == 0) throw new IllegalArgumentException("the calibration batches hold no predicted position (every sample shorter than 2 tokens)");
        return sum / count;
    }

    /** layers_loss: for each layer, the CE increase when that one layer is skipped. */
    public static double[] layerLossIncrease(Backend backend, Parameters params, List<Batch> batches) {
        return blockLossIncrease(backend, params, batches, 1);
    }

    /**
     * For each start s, the CE increase when layers s..s+length-1 are skipped together (P2 prefers
     * dropping one contiguous block). At least one layer must remain.
     */
    public static double[] blockLossIncrease(Backend backend, Parameters params, List<Batch> batches, int length) {
        int l = params.config().numHiddenLayers();
        if (length < 1 || length >= l)
            throw new IllegalArgumentException("block length " + length + " must be 1.." + (l - 1)
                    + " for a model of " + l + " layers (one layer must remain)");
        double base = calibrationLoss(backend, params, batches);
        double[] increase = new double[l - length + 1];
        for (int s = 0; s < increase.length; s++) {
            int start = s;
            int[] kept = IntStream.range(0, l).filter(i -> i < start || i >= start + length).toArray();
            increase[s] = calibrationLoss(backend, params.keepLayersShared(kept), batches) - base;
        }
        return increase;
    }
}
