package minitron4j.model.loss;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A teacher model that only runs forward: inference activations (the layers share one set of
 * buffers, no attention probabilities, no gradient pool), its parameters never handed to an
 * optimizer. Besides the logits it keeps copies of the post-norm hidden states (see
 * {@link LayerPair}) that an intermediate-state loss asked for at construction.
 */
public final class FrozenTeacher {
    private final Nemotron model;
    private final Activations acts;
    private final Map<Integer, float[]> hidden = new TreeMap<>(); // index k -> [N, H] copy
    private final ForwardObserver observer;

    /** Buffers for batches of [batch, seqLen]; keeps the post-norm hidden states of the given indices (1..layers) after each call. */
    public FrozenTeacher(Nemotron model, int batch, int seqLen, Collection<Integer> hiddenStates) {
        NemotronConfig c = model.config();
        this.model = model;
        this.acts = model.inferenceActivations(batch, seqLen);
        for (int k : hiddenStates) {
            if (k < 1 || k > c.numHiddenLayers())
                throw new IllegalArgumentException("teacher hidden state " + k + " outside 1.." + c.numHiddenLayers());
            hidden.put(k, new float[batch * seqLen * c.hiddenSize()]);
        }
        this.observer = hidden.isEmpty() ? null : new ForwardObserver() {
            @Override
            public void normOutput(int layer, int which, float[] out, Batch b) {
                float[] copy = which == 0 ? hidden.get(layer) : null;
                if (copy != null) System.arraycopy(out, 0, copy, 0, copy.length);
            }
        };
    }

    /** Runs the teacher forward on batch: its logits [N, V] (a buffer the next call reuses) and the kept hidden states. */
    public float[] logits(Batch batch) {
        model.forward(batch, acts, observer);
        float[] last = hidden.get(model.config().numHiddenLayers());
        if (last != null) System.arraycopy(acts.finalNormOutput(), 0, last, 0, last.length);
        return acts.logits();
    }

    /** Post-norm hidden state k [N, H] of the last {@link #logits} call; k must have been asked for. */
    public float[] hiddenState(int k) {
        float[] h = hidden.get(k);
        if (h == null) throw new IllegalArgumentException("teacher hidden state " + k + " was not kept (kept: " + hidden.keySet() + ")");
        return h;
    }

    public NemotronConfig config() {
        return model.config();
    }
}
