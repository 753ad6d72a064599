package minitron4j.model;

/**
 * The activation pool of one forward pass at batch shape [B, T], allocated once and reused step
 * after step (llm.c style). In training mode every layer keeps its own buffers for the backward
 * pass; in inference mode the layers share one set (and two alternating residual buffers).
 */
public final class Activations {
    final int batch, seq, n;
    final boolean training;
    final float[][] x;        // [L+1 or 2][N,H]: input of layer l (x[0] = embedding output)
    final float[][] ln1;      // [N,H] input_layernorm output
    final float[][] ln1Mean, ln1Rstd; // [N]
    final float[][] q;        // [N, nh*hd] after RoPE
    final float[][] k, v;     // [N, nkv*hd] (k after RoPE)
    final float[][] probs;    // [B, nh, T, T] attention weights (training only)
    final float[][] att;      // [N, nh*hd] attention output before o_proj
    final float[][] h;        // [N,H] residual after attention
    final float[][] ln2;      // [N,H] post_attention_layernorm output
    final float[][] ln2Mean, ln2Rstd;
    final float[][] up;       // [N,F] up_proj output (pre-activation)
    final float[][] act;      // [N,F] relu(up)^2
    final float[] lnf, lnfMean, lnfRstd; // final norm [N,H], [N], [N]
    final float[] logits;     // [N,K] head outputs (K = V for the LM), or [B,V] for the last positions only, or none (logitRows)
    final int logitRows;
    final float[] headInput;  // [N,H] the final norm's output after the token-classification head's dropout (training only), else null

    Activations(NemotronConfig c, int batch, int seq, boolean training, boolean lastPositionLogitsOnly) {
        this(c, batch, seq, training, lastPositionLogitsOnly, false);
    }

    /** noLogits: the pass stops at the final norm (logitRows 0). */
    Activations(NemotronConfig c, int batch, int seq, boolean training, boolean lastPositionLogitsOnly, boolean noLogits) {
        this.batch = batch;
        this.seq = seq;
        this.n = batch * seq;
        this.training = training;
        int layers = training ? c.numHiddenLayers() : 1;
        int hSize = c.hiddenSize(), f = c.intermediateSize();
        x = new float[training ? c.numHiddenLayers() + 1 : 2][n * hSize];
        ln1 = buffers(layers, n * hSize);
        ln1Mean = buffers(layers, n);
        ln1Rstd = buffers(layers, n);
        q = buffers(layers, n * c.qDim());
        k = buffers(layers, n * c.kvDim());
        v = buffers(layers, n * c.kvDim());
        probs = training ? buffers(layers, Math.multiplyExact(Math.multiplyExact(batch * c.numAttentionHeads(), seq), seq)) : null;
        att = buffers(layers, n * c.qDim());
        h = buffers(layers, n * hSize);
        ln2 = buffers(layers, n * hSize);
        ln2Mean = buffers(layers, n);
        ln2Rstd = buffers(layers, n);
        up = buffers(layers, n * f);
        act = buffers(layers, n * f);
        lnf = new float[n * hSize];
        lnfMean = new float[n];
        lnfRstd = new float[n];
        logitRows = noLogits ? 0 : lastPositionLogitsOnly ? batch : n;
        logits = new float[Math.multiplyExact(logitRows, c.headOutputs())];
        headInput = training && c.architecture() == Architecture.TOKEN_CLASSIFICATION ? new float[n * hSize] : null;
    }

    /** Bytes the constructor allocates for these arguments (for {@link MemoryCheck}), the backward scratch included when training. */
    static long bytes(NemotronConfig c, int batch, int seq, boolean training, int logitRows) {
        long n = (long) batch * seq, hSize = c.hiddenSize(), f = c.intermediateSize();
        long layers = training ? c.numHiddenLayers() : 1;
        long perLayer = n * (3 * hSize + 2 * c.qDim() + 2L * c.kvDim() + 2 * f + 4)
                + (training ? (long) batch * c.numAttentionHeads() * seq * seq : 0);
        long floats = (training ? c.numHiddenLayers() + 1 : 2) * n * hSize + layers * perLayer
                + n * (hSize + 2) + (long) logitRows * c.headOutputs();
        if (training) floats += n * (2 * hSize + f + 2L * c.qDim() + 2L * c.kvDim());
        return floats * Float.BYTES;
    }

    private static float[][] buffers(int count, int size) {
        float[][] b = new float[count][];
        for (int i = 0; i < count; i++) b[i] = new float[size];
        return b;
    }

    int slot(int layer) {
        return training ? layer : 0;
    }

    float[] layerInput(int layer) {
        return training ? x[layer] : x[layer % 2];
    }

    float[] layerOutput(int layer, int layers) {
        return training ? x[layer + 1] : x[(layer + 1) % 2];
    }

    /**
     * Working buffers of the backward pass, allocated on its first call and reused by every later
     * one at this batch shape (each is cleared before use, so nothing carries over between steps).
     */
    record Gradients(float[] dres, float[] dnorm, float[] dact, float[] datt, float[] dq, float[] dk, float[] dv) {}

    private Gradients gradients;

    Gradients gradients(NemotronConfig c) {
        if (gradients == null) {
            int hSize = c.hiddenSize();
            gradients = new Gradients(new float[n * hSize], new float[n * hSize], new float[n * c.intermediateSize()],
                    new float[n * c.qDim()], new float[n * c.qDim()], new float[n * c.kvDim()], new float[n * c.kvDim()]);
        }
        return gradients;
    }

    /** The logits: [N, V] (or [B, V] of each row's last position when built for decoding; empty without logits). */
    public float[] logits() {
        return logits;
    }

    public int logitRows() {
        return logitRows;
    }

    /**
     * HF's hidden_states.i: i = 0 the embedding output, 1..L-1 the output of layer i-1, L the last
     * layer's output after the final norm. Training mode only (inference keeps no per-layer copy).
     */
    public float[] hiddenState(int i, int layers) {
        if (!training) throw new IllegalStateException("hidden states are kept in training mode only");
        return i == layers ? lnf : x[i];
    }

    /** The output of the final norm model.norm, [N, H] (HF's last hidden state), in either mode. */
    public float[] finalNormOutput() {
        return lnf;
    }

    /** The residual stream after the last layer, before the final norm, [N, H]. */
    public float[] finalResidual(int layers) {
        return training ? x[layers] : x[layers % 2];
    }

    public int batch() {
        return batch;
    }

    public int seq() {
        return seq;
    }
}
