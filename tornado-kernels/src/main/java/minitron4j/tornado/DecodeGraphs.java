package minitron4j.tornado;

import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Generation on the device: the Nemotron forward pass of one new token at position pos (batch 1)
 * through a KV cache [L, maxSeq, nkv*hd] that never leaves the device, as three task graphs of one
 * execution plan (the layer is {@link LayerForward}, as in the batch graphs):
 * <pre>
 * EMBED   token -> x                                             (token id in; weights sent once)
 * LAYER   x -> LN1P -> q, k, v (k and v written straight into row pos of the layer's cache)
 *           -> RoPE at pos (q and the cached k) -> attention of q over cache rows 0..pos
 *           -> o_proj (+x) = h -> LN1P -> up -> relu^2 -> down (+h) = x   (replayed per layer)
 * HEAD    x -> LN1P -> lm_head -> logits [V]                     (logits out)
 * </pre>
 * Per token only the token id and, per layer, the small {@link Offsets} table (the layer's weight
 * offsets, its cache start and the position) go in; only the logits come out, and only after the
 * last token of an {@link #append} (a prompt runs token by token, exact and simple).
 *
 * <p>The weights are the session's {@link StackedParameters}, sent by this plan on its first
 * execution: TornadoVM 5.2 hands device buffers on only between graphs of one execution plan run
 * one after the other, so the training plan's copies ({@link ModelGraphs}) cannot be shared, and
 * the device holds a second copy of the weights while a decoder is open. Weights changed on the
 * device by training reach a decoder only through the session's host copy.
 */
final class DecodeGraphs implements Backend.Decoder {
    private static final int EMBED = 0, LAYER = 1, HEAD = 2;

    private final NemotronConfig config;
    private final int maxSeq;
    private final IntArray token = new IntArray(1);
    // one token's activations (x is the residual stream, updated in place layer by layer)
    private final FloatArray x, normed, mean, rstd, q, att, h, up, logits;
    // the cache after RoPE, [L, maxSeq, nkv*hd]
    private final FloatArray keys, values;
    private final Offsets layerOffsets = new Offsets(16), fixedOffsets = new Offsets(1);
    private final TokenLayerSlots slots = new TokenLayerSlots();
    private final RopeTables rope;
    private final GraphChain chain;
    private final GraphPlan plan;
    private int length;
    private boolean closed;

    DecodeGraphs(StackedParameters weights, int maxSeq) {
        NemotronConfig c = weights.config;
        c.requireCausalLm("generation");
        AttentionKernels.checkHeadDim(c.headDim());
        if (maxSeq < 1) throw new IllegalArgumentException("a KV cache needs at least 1 position, got " + maxSeq);
        if (maxSeq > c.maxPositionEmbeddings())
            throw new IllegalArgumentException("cache of " + maxSeq + " positions exceeds max_position_embeddings "
                    + c.maxPositionEmbeddings());
        this.config = c;
        this.maxSeq = maxSeq;
        int hs = c.hiddenSize(), qd = c.qDim(), cache = Math.multiplyExact(c.numHiddenLayers(), Math.multiplyExact(maxSeq, c.kvDim()));
        x = new FloatArray(hs);
        normed = new FloatArray(hs);
        mean = new FloatArray(1);
        rstd = new FloatArray(1);
        q = new FloatArray(qd);
        att = new FloatArray(qd);
        h = new FloatArray(hs);
        up = new FloatArray(c.intermediateSize());
        logits = new FloatArray(c.vocabSize());
        keys = new FloatArray(cache);
        values = new FloatArray(cache);
        rope = new RopeTables(c.rotaryDim(), c.ropeTheta(), maxSeq);

        List<Object> shared = new ArrayList<>(List.of(token, rope.cos(), rope.sin(), x, normed, mean, rstd, q, att, h, up, logits, keys,
                values));
        shared.addAll(weights.arrays());
        chain = new GraphChain(shared);
        plan = new GraphPlan(List.of(embed(weights), layer(weights), head(weights)), chain.grids);
    }

    /** The slots of the layer graph's offsets table: weight starts, the layer's cache, the position. */
    private final class TokenLayerSlots {
        // wh: [L,H] norms, wq, wkv, wo, wf: the projections; cache: the layer's cache [maxSeq, kvDim],
        // row: this token's row of it; pos: the token's position
        final int wh, wq, wkv, wo, wf, cache, row, pos;

        TokenLayerSlots() {
            Offsets t = layerOffsets;
            wh = t.slot();
            wq = t.slot();
            wkv = t.slot();
            wo = t.slot();
            wf = t.slot();
            cache = t.slot();
            row = t.slot();
            pos = t.slot();
        }

        /** Writes layer l's offsets for a token at position p (sent with the layer graph's next run). */
        void select(int l, int p) {
            NemotronConfig c = config;
            int hs = c.hiddenSize(), kvd = c.kvDim(), layerCache = l * maxSeq * kvd;
            Offsets t = layerOffsets;
            t.set(wh, l * hs);
            t.set(wq, l * c.qDim() * hs);
            t.set(wkv, l * kvd * hs);
            t.set(wo, l * hs * c.qDim());
            t.set(wf, l * c.intermediateSize() * hs);
            t.set(cache, layerCache);
            t.set(row, layerCache + p * kvd);
            t.set(pos, p);
        }
    }

    // ---------------------------------------------------------------- graph construction

    private ImmutableTaskGraph embed(StackedParameters w) {
        GraphChain ch = chain;
        TaskGraph g = ch.first("decodeEmbed", token);
        int hs = config.hiddenSize();
        g.task(ch.task(g, "embedding", Launch.threads(hs)), ElementwiseKernels::embeddingForward, ch.ctx, token, w.embed, x, 1, hs);
        ch.allocate(g, token);
        return ch.close(g);
    }

    /**
     * One layer's forward ({@link LayerForward}) for the token: k and v go straight into row pos of
     * the layer's cache, RoPE and attention read the position from the offsets table.
     */
    private ImmutableTaskGraph layer(StackedParameters w) {
        NemotronConfig c = config;
        GraphChain ch = chain;
        TaskGraph g = ch.next("decodeLayer");
        IntArray off = layerOffsets.array();
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, off);
        TokenLayerSlots s = slots;
        int nh = c.numAttentionHeads(), nkv = c.numKeyValueHeads(), hd = c.headDim(), pairs = c.rotaryDim() / 2,
                z = Offsets.ZERO;
        LayerForward.At normedAt = new LayerForward.At(normed, z), upAt = new LayerForward.At(up, z);
        LayerForward.Operands o = new LayerForward.Operands(new LayerForward.At(x, z), normedAt, normedAt, mean, rstd, mean, rstd, z,
                new LayerForward.At(q, z), new LayerForward.At(keys, s.row), new LayerForward.At(values, s.row), new LayerForward.At(att, z),
                new LayerForward.At(h, z), upAt, upAt, new LayerForward.At(x, z));
        LayerForward.build(ch, g, off, w, new LayerForward.WeightSlots(s.wh, s.wq, s.wkv, s.wo, s.wf), 1, o, new LayerForward.Ops() {
            @Override
            public void linear(TaskGraph graph, String id, LayerForward.At in, FloatArray weight, int wSlot, LayerForward.At out,
                               int outFeatures, int inFeatures) {
                graph.task(ch.task(graph, id, Launch.matrixVector(outFeatures)), DecodeKernels::matrixVector, ch.ctx, off, in.buffer(),
                        in.slot(), weight, wSlot, out.buffer(), out.slot(), outFeatures, inFeatures);
            }

            @Override
            public void rope(TaskGraph graph, String id, LayerForward.At at, int heads) {
                graph.task(ch.task(graph, id, Launch.threads(heads * pairs)), DecodeKernels::rope, ch.ctx, off, at.buffer(), at.slot(),
                        DecodeGraphs.this.rope.cos(), DecodeGraphs.this.rope.sin(), s.pos, heads, hd, pairs);
            }

            @Override
            public void attention(TaskGraph graph) {
                graph.task(ch.task(graph, "attention", Launch.groupPerRow(nh)), DecodeKernels::attention, ch.ctx, off, q, keys, values,
                        s.cache, s.pos, att, nh, nkv, hd);
            }
        });
        return ch.close(g);
    }

    private ImmutableTaskGraph head(StackedParameters w) {
        NemotronConfig c = config;
        GraphChain ch = chain;
        TaskGraph g = ch.next("decodeHead");
        IntArray off = fixedOffsets.array();
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, off);
        int hs = c.hiddenSize(), z = Offsets.ZERO;
        g.task(ch.task(g, "lnf", Launch.groupPerRow(1)), LayerNormKernels::forward, ch.ctx, off, x, z, w.normW, z, w.normB, z,
                normed, z, mean, rstd, z, hs, (float) c.normEps());
        g.task(ch.task(g, "lmHead", Launch.matrixVector(c.vocabSize())), DecodeKernels::matrixVector, ch.ctx, off, normed, z, w.head,
                z, logits, z, c.vocabSize(), hs);
        return ch.close(g);
    }

    // ---------------------------------------------------------------- decoding

    @Override
    public float[] append(int[] tokens) {
        if (closed) throw new IllegalStateException("this decoder is closed");
        Backend.Decoder.checkRoom(length, maxSeq, tokens.length);
        int vocab = config.vocabSize();
        for (int i = 0; i < tokens.length; i++)
            if (tokens[i] < 0 || tokens[i] >= vocab)
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i + " is outside the vocabulary [0, "
                        + vocab + ")");
        for (int id : tokens) {
            token.set(0, id);
            plan.run(EMBED);
            for (int l = 0; l < config.numHiddenLayers(); l++) {
                slots.select(l, length);
                plan.run(LAYER);
            }
            length++;
        }
        plan.run(HEAD).transferToHost(logits);
        return logits.toHeapArray();
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return maxSeq;
    }

    @Override
    public void close() {
        closed = true;
        plan.close();
    }
}
