package minitron4j.model;

import minitron4j.kernels.Attention;
import minitron4j.kernels.Embedding;
import minitron4j.kernels.Gemm;
import minitron4j.kernels.LayerNorm1P;
import minitron4j.kernels.Rope;
import minitron4j.kernels.SquaredRelu;
import minitron4j.kernels.VectorMath;

import java.util.Arrays;

/**
 * The Nemotron decoder as HF's NemotronForCausalLM computes it, forward and backward, on the CPU
 * kernels. Per layer, with x [B,T,H]:
 * <pre>
 * h = x + o_proj(attention(rope(q_proj(LN1P_in(x))), rope(k_proj(.)), v_proj(.)))
 * y = h + down_proj(relu(up_proj(LN1P_post(h)))^2)
 * logits = head(LN1P_final(y_last))     [N, K]
 * </pre>
 * The head is the class's ({@link Architecture}): lm_head (K = V), score (K = num_labels; with bias
 * and, in training, dropout before it for token classification), qa_outputs (K = 2, with bias), or
 * none for the base model, whose output is the final norm's. Pooling and losses over these
 * per-position outputs belong to the loss ({@link minitron4j.model.loss.HeadLoss}).
 */
public final class Nemotron {
    private final NemotronConfig config;
    private final Parameters params;
    private final Rope rope;

    public Nemotron(Parameters params) {
        this.config = params.config();
        this.params = params;
        this.rope = new Rope(config.rotaryDim(), config.ropeTheta(), config.maxPositionEmbeddings());
    }

    public NemotronConfig config() {
        return config;
    }

    public Parameters parameters() {
        return params;
    }

    /** Buffers for training (every layer's activations kept for backward) at [B, T]. */
    public Activations trainingActivations(int batch, int seq) {
        return new Activations(config, batch, seq, true, false);
    }

    /** Buffers for a forward pass without gradients (shared across layers) at [B, T]. */
    public Activations inferenceActivations(int batch, int seq) {
        return new Activations(config, batch, seq, false, false);
    }

    /**
     * Buffers for a forward pass that stops at the final norm (no logits): for importance scoring,
     * where the [N, V] logits of a large vocabulary would cost more memory than everything else.
     */
    public Activations hiddenStateActivations(int batch, int seq) {
        return new Activations(config, batch, seq, false, false, true);
    }

    /**
     * Buffers for decoding through a KV cache: seq new tokens of one sequence, logits of the last
     * position only (what sampling reads).
     */
    public Activations decodeActivations(int seq) {
        return new Activations(config, 1, seq, false, true);
    }

    /**
     * The forward pass of tokens at positions start..start+T-1 of the sequences in cache: their keys
     * and values are written into it and attention reads it (generation).
     */
    public void forward(Batch batch, Activations acts, KvCache cache, int start) {
        run(batch, acts, cache, start, null);
    }

    /** Runs the whole network; logits land in {@code acts.logits()}. observer may be null. */
    public void forward(Batch batch, Activations acts, ForwardObserver observer) {
        checkShape(batch, acts);
        run(batch, acts, null, 0, observer);
    }

    /**
     * The forward pass over tokens at positions start..start+T-1: through a KV cache when one is
     * given (generation), else over this batch alone (training, scoring).
     */
    void run(Batch batch, Activations acts, KvCache cache, int start, ForwardObserver observer) {
        if (start + batch.seq() > config.maxPositionEmbeddings())
            throw new IllegalArgumentException("sequence length " + (start + batch.seq())
                    + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        Embedding.forward(acts.layerInput(0), batch.ids(), params.matrix(Parameters.EMBED), batch.tokens());
        int[] pos = batch.positions(start);
        for (int l = 0; l < config.numHiddenLayers(); l++)
            layerForward(l, batch, acts, pos, cache, start, observer);
        finalNormAndHead(batch, acts, observer);
    }

    /**
     * One training step on a batch: forward, the loss on the logits, backward; gradients are added
     * into grads. Returns the loss.
     */
    public double step(Batch batch, Activations acts, Parameters grads, LogitLoss loss) {
        forward(batch, acts, null);
        double value = loss.lossAndGradient(acts.logits(), batch, config.headOutputs());
        backward(batch, acts, acts.logits(), grads);
        return value;
    }

    /** {@link #step} with HF's next-token cross-entropy, gradient scaled by weight. */
    public double crossEntropyStep(Batch batch, Activations acts, Parameters grads, float weight) {
        return step(batch, acts, grads, LogitLoss.crossEntropy(weight));
    }

    /**
     * One decoder layer. With a KV cache the new keys and values are written into it at positions
     * start..start+T-1 and attention reads the cache; otherwise it reads this batch's k and v.
     */
    private void layerForward(int l, Batch batch, Activations acts, int[] pos, KvCache cache, int start,
                      ForwardObserver obs) {
        NemotronConfig c = config;
        Parameters.LayerWeights w = params.layerWeights(l);
        int n = batch.tokens(), hSize = c.hiddenSize(), kvDim = c.kvDim(), f = c.intermediateSize();
        int s = acts.slot(l);
        float[] x = acts.layerInput(l), out = acts.layerOutput(l, c.numHiddenLayers());
        float eps = (float) c.normEps();

        LayerNorm1P.forward(acts.ln1[s], acts.ln1Mean[s], acts.ln1Rstd[s], x, w.inNormW(), w.inNormB(), n, hSize, eps);
        if (obs != null) obs.normOutput(l, 0, acts.ln1[s], batch);
        Gemm.linear(acts.q[s], acts.ln1[s], w.q(), n);
        Gemm.linear(acts.k[s], acts.ln1[s], w.k(), n);
        Gemm.linear(acts.v[s], acts.ln1[s], w.v(), n);
        rope.apply(acts.q[s], pos, n, c.numAttentionHeads(), c.headDim(), 1);
        rope.apply(acts.k[s], pos, n, c.numKeyValueHeads(), c.headDim(), 1);

        float[] keys = acts.k[s], values = acts.v[s];
        int kvBatchStride = batch.seq() * kvDim;
        if (cache != null) {
            cache.write(l, acts.k[s], acts.v[s], batch.batch(), batch.seq(), start);
            keys = cache.keys(l);
            values = cache.values(l);
            kvBatchStride = cache.batchStride();
        }
        Attention.Shape shape = new Attention.Shape(batch.batch(), batch.seq(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), start, kvBatchStride);
        int[] lengths = cache == null ? batch.lengths() : cache.lengthsAfter(batch, start);
        Attention.forward(acts.att[s], acts.training ? acts.probs[s] : null, acts.q[s], keys, values, lengths, shape);
        if (obs != null) obs.attentionOutput(l, acts.att[s], batch);
        Gemm.linear(acts.h[s], acts.att[s], w.o(), n);
        add(acts.h[s], x, n * hSize);

        LayerNorm1P.forward(acts.ln2[s], acts.ln2Mean[s], acts.ln2Rstd[s], acts.h[s], w.postNormW(), w.postNormB(), n, hSize, eps);
        if (obs != null) obs.normOutput(l, 1, acts.ln2[s], batch);
        Gemm.linear(acts.up[s], acts.ln2[s], w.up(), n);
        if (obs != null) obs.mlpPreActivation(l, acts.up[s], batch);
        SquaredRelu.forward(acts.act[s], acts.up[s], n * f);
        if (obs != null) obs.mlpPostActivation(l, acts.act[s], batch);
        Gemm.linear(out, acts.act[s], w.down(), n);
        add(out, acts.h[s], n * hSize);
        if (obs != null) obs.layerOutput(l, x, out, batch);
    }

    private void finalNormAndHead(Batch batch, Activations acts, ForwardObserver observer) {
        int n = batch.tokens(), hSize = config.hiddenSize();
        float[] y = acts.finalResidual(config.numHiddenLayers());
        LayerNorm1P.forward(acts.lnf, acts.lnfMean, acts.lnfRstd, y, params.data(Parameters.NORM_W),
                params.data(Parameters.NORM_B), n, hSize, (float) config.normEps());
        if (observer != null) observer.finalNormOutput(acts.lnf, batch);
        // hidden states only (importance, the base model): no [N, K] product
        if (acts.logitRows == 0 || config.headOutputs() == 0) return;
        float[] in = acts.lnf;
        if (acts.logitRows == n) {
            Long key = dropoutKey(batch, acts);
            if (key != null) {
                Dropout.forward(acts.headInput, acts.lnf, n * hSize, config.classifierDropout(), key);
                in = acts.headInput;
            }
        } else {
            // Decoding needs only each row's last position: skip the [N, V] product.
            in = new float[acts.logitRows * hSize];
            for (int b = 0; b < acts.logitRows; b++)
                System.arraycopy(acts.lnf, (b * batch.seq() + batch.seq() - 1) * hSize, in, b * hSize, hSize);
        }
        Gemm.linear(acts.logits, in, params.headMatrix(), acts.logitRows);
        float[] bias = params.headBias();
        if (bias != null)
            for (int r = 0; r < acts.logitRows; r++) VectorMath.axpy(1f, bias, 0, acts.logits, r * bias.length, bias.length);
    }

    /**
     * The token-classification head's dropout key for this pass: {@link Dropout#headKey} in a
     * training pass (the only one with a head input buffer); null otherwise (evaluation).
     */
    private Long dropoutKey(Batch batch, Activations acts) {
        return acts.headInput == null ? null : Dropout.headKey(config, batch);
    }

    /**
     * Gradients a loss on intermediate states adds during {@link #backward}: {@code index} names the
     * LayerNorm1P output that reads HF's hidden_states.index (index &lt; L: layer index's
     * input_layernorm; index = L: model.norm), dnorm [N,H] is d loss / d that output so far, and the
     * hook adds its own term into it.
     */
    @FunctionalInterface
    public interface NormOutputGradient {
        void add(int index, float[] dnorm);
    }

    /**
     * Backpropagates d loss / d logits (held in dlogits [N, K]; null for the base model, whose loss
     * comes in through extra at the final norm) through the network saved in acts (a training-mode
     * forward of the same batch), adding every parameter's gradient into grads.
     */
    public void backward(Batch batch, Activations acts, float[] dlogits, Parameters grads) {
        backward(batch, acts, dlogits, grads, null);
    }

    /** {@link #backward(Batch, Activations, float[], Parameters)} with extra gradients at the norm outputs (may be null). */
    public void backward(Batch batch, Activations acts, float[] dlogits, Parameters grads, NormOutputGradient extra) {
        if (!acts.training) throw new IllegalStateException("backward needs training-mode activations");
        checkShape(batch, acts);
        NemotronConfig c = config;
        int n = batch.tokens(), hSize = c.hiddenSize(), qDim = c.qDim(), kvDim = c.kvDim(), f = c.intermediateSize();
        int layers = c.numHiddenLayers();
        Activations.Gradients scratch = acts.gradients(c);
        float[] dres = scratch.dres();    // d loss / d residual stream, [N,H]
        float[] dnorm = scratch.dnorm();  // [N,H] gradient of a norm output
        Arrays.fill(dres, 0f);
        Arrays.fill(dnorm, 0f);
        headBackward(batch, acts, dlogits, grads, dnorm);
        if (extra != null) extra.add(layers, dnorm);
        LayerNorm1P.backward(dres, grads.data(Parameters.NORM_W), grads.data(Parameters.NORM_B), dnorm,
                acts.finalResidual(layers), acts.lnfMean, acts.lnfRstd, params.data(Parameters.NORM_W), n, hSize);

        float[] dact = scratch.dact(), datt = scratch.datt(), dq = scratch.dq(), dk = scratch.dk(), dv = scratch.dv();
        int[] pos = batch.positions(0);
        for (int l = layers - 1; l >= 0; l--) {
            Parameters.Layer w = params.layer(l), g = grads.layer(l);
            int s = acts.slot(l);
            // MLP: y = h + down(relu(up(ln2(h)))^2)
            Arrays.fill(dact, 0f);
            Gemm.linearBackward(dact, g.down(), dres, acts.act[s], w.down(), n, f, hSize);
            SquaredRelu.backward(dact, dact, acts.up[s], n * f);
            Arrays.fill(dnorm, 0f);
            Gemm.linearBackward(dnorm, g.up(), dact, acts.ln2[s], w.up(), n, hSize, f);
            LayerNorm1P.backward(dres, g.postNormW(), g.postNormB(), dnorm, acts.h[s], acts.ln2Mean[s],
                    acts.ln2Rstd[s], w.postNormW(), n, hSize);
            // Attention: h = x + o(attn(q, k, v))
            Arrays.fill(datt, 0f);
            Gemm.linearBackward(datt, g.o(), dres, acts.att[s], w.o(), n, qDim, hSize);
            Arrays.fill(dq, 0f);
            Arrays.fill(dk, 0f);
            Arrays.fill(dv, 0f);
            Attention.backward(dq, dk, dv, datt, acts.probs[s], acts.q[s], acts.k[s], acts.v[s],
                    new Attention.Shape(batch.batch(), batch.seq(), c.numAttentionHeads(), c.numKeyValueHeads(),
                            c.headDim(), 0, batch.seq() * kvDim));
            rope.apply(dq, pos, n, c.numAttentionHeads(), c.headDim(), -1);
            rope.apply(dk, pos, n, c.numKeyValueHeads(), c.headDim(), -1);
            Arrays.fill(dnorm, 0f);
            Gemm.linearBackward(dnorm, g.q(), dq, acts.ln1[s], w.q(), n, hSize, qDim);
            Gemm.linearBackward(dnorm, g.k(), dk, acts.ln1[s], w.k(), n, hSize, kvDim);
            Gemm.linearBackward(dnorm, g.v(), dv, acts.ln1[s], w.v(), n, hSize, kvDim);
            if (extra != null) extra.add(l, dnorm);
            LayerNorm1P.backward(dres, g.inNormW(), g.inNormB(), dnorm, acts.layerInput(l), acts.ln1Mean[s],
                    acts.ln1Rstd[s], w.inNormW(), n, hSize);
        }
        Embedding.backward(grads.embedding(), dres, batch.ids(), n, hSize, c.hasPadToken() ? c.padTokenId() : -1);
    }

    /**
     * The head's share of the backward pass: d head weight += dlogits^T . in, d bias += column sums
     * of dlogits, and d lnf [N,H] (dnorm, zero on entry) = dlogits . W, through the dropout mask where
     * the forward pass dropped.
     */
    private void headBackward(Batch batch, Activations acts, float[] dlogits, Parameters grads, float[] dnorm) {
        int k = config.headOutputs(), n = batch.tokens(), hSize = config.hiddenSize();
        if (k == 0) return;
        if (dlogits == null) throw new IllegalArgumentException(config.architecture().hfName() + " backward needs d loss / d logits");
        String w = params.headWeightName();
        Long key = dropoutKey(batch, acts);
        Gemm.linearBackward(dnorm, grads.data(w), dlogits, key == null ? acts.lnf : acts.headInput, params.data(w), n, hSize, k);
        if (key != null) Dropout.backwardInPlace(dnorm, n * hSize, config.classifierDropout(), key);
        String bias = config.architecture().headBias();
        if (bias != null) {
            float[] db = grads.data(bias);
            for (int r = 0; r < n; r++) VectorMath.axpy(1f, dlogits, r * k, db, 0, k);
        }
    }

    private void checkShape(Batch batch, Activations acts) {
        if (batch.batch() != acts.batch || batch.seq() != acts.seq)
            throw new IllegalArgumentException("batch [" + batch.batch() + "," + batch.seq()
                    + "] does not match activations [" + acts.batch + "," + acts.seq + "]");
    }

    private static void add(float[] y, float[] x, int n) {
        VectorMath.axpy(1f, x, 0, y, 0, n);
    }

    /** Floating-point operations of one forward pass over N tokens (2 per multiply-add), attention included. */
    public static double forwardFlops(NemotronConfig c, int batch, int seq) {
        double n = (double) batch * seq;
        double perLayer = 2.0 * c.hiddenSize() * (c.qDim() + c.kvDim()) + 2.0 * c.hiddenSize() * c.intermediateSize();
        double tiedHead = c.architecture() == Architecture.CAUSAL_LM && c.tieWordEmbeddings() ? (double) c.vocabSize() * c.hiddenSize() : 0;
        double matmulParams = c.numHiddenLayers() * perLayer + c.headMatrixParameters() + tiedHead;
        double attention = 2.0 * 2.0 * c.numHiddenLayers() * c.qDim() * batch * (double) seq * (seq + 1) / 2;
        return 2 * n * matmulParams + attention;
    }
}
