package minitron4j.model;

import java.util.Arrays;

/**
 * HF's {@code output_hidden_states} gathered from any backend's forward pass: index 0 is the
 * embedding output, index i the output of layer i-1, and index L (the number of layers) the final
 * norm's output (HF replaces the last layer's output by it). Each is a copy [N, H] of the last
 * batch observed.
 */
public final class HiddenStates implements ForwardObserver {
    private final int layers, hidden;
    private final float[][] states;

    public HiddenStates(NemotronConfig config) {
        this.layers = config.numHiddenLayers();
        this.hidden = config.hiddenSize();
        this.states = new float[layers + 1][];
    }

    @Override
    public void layerOutput(int layer, float[] in, float[] out, Batch batch) {
        int n = batch.tokens() * hidden;
        if (layer == 0) states[0] = Arrays.copyOf(in, n);
        if (layer + 1 < layers) states[layer + 1] = Arrays.copyOf(out, n);
    }

    @Override
    public void finalNormOutput(float[] out, Batch batch) {
        states[layers] = Arrays.copyOf(out, batch.tokens() * hidden);
    }

    /** Hidden state i in 0..L, [N, H]. */
    public float[] get(int i) {
        if (i < 0 || i > layers) throw new IllegalArgumentException("hidden state " + i + " outside 0.." + layers);
        if (states[i] == null)
            throw new IllegalStateException("hidden state " + i + " was not shown by the forward pass (has one run with this observer?)");
        return states[i];
    }
}
