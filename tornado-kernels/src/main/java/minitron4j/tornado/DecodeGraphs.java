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
 * Generation on the device: the Nemotron forward pass of new tokens from position pos (batch 1)
 * through a KV cache [L, maxSeq, nkv*hd] that never leaves the device, as task graphs of one
 * execution plan (the layer is {@link LayerForward}, as in the batch graphs). One token:
 * <pre>
 * EMBED   token -> x                                             (token id in; weights sent once)
 * LAYER   x -> LN1P -> q, k, v (k and v written straight into row pos of the layer's cache)
 *           -> RoPE at pos (q and the cached k) -> attention of q over cache rows 0..pos
 *           -> o_proj (+x) = h -> LN1P -> up -> relu^2 -> down (+h) = x   (replayed per layer)
 * HEAD    x -> LN1P -> lm_head -> logits [V]                     (logits out)
 * </pre>
 * Several tokens (a prompt) run in chunks of {@link #PREFILL_ROWS} rows through batch-shaped graphs:
 * <pre>
 * PREFILL_EMBED  chunk ids -> x [C, H]                            (ids in, padded with 0)
 * PREFILL_LAYER  as LAYER over the C rows, the products matmuls; k and v [C, kvDim] after RoPE at
 *                pos..pos+C-1, their prompt rows stored into the cache, then causal attention of
 *                the chunk's queries over cache rows 0..pos+count-1   (replayed per layer)
 * PREFILL_HEAD   row count-1 of x -> LN1P -> lm_head -> logits [V]   (logits out)
 * </pre>
 * A chunk's rows past the prompt (count real ones) are computed and dropped: their keys are masked
 * and never stored. Per token or chunk only the ids and, per layer, the small {@link Offsets} table
 * (the layer's weight offsets, its cache start, the position and the count) go in; only the logits
 * come out, and only after the last token of an {@link #append}.
 *
 * <p>The weights are the session's {@link StackedParameters}, sent by this plan on its first
 * execution: TornadoVM 5.2 hands device buffers on only between graphs of one execution plan run
 * one after the other, so the training plan's copies ({@link ModelGraphs}) cannot be shared, and
 * the device holds a second copy of the weights while a decoder is open. Weights changed on the
 * device by training reach a decoder only through the session's host copy.
 */
final class DecodeGraphs implements Backend.Decoder {
    /** Rows of a prompt chunk: one tile of the register-blocked matmul. */
    static final int PREFILL_ROWS = 64;
    private static final int EMBED = 0, LAYER = 1, HEAD = 2, PREFILL_EMBED = 3, PREFILL_LAYER = 4, PREFILL_HEAD = 5;

    private final NemotronConfig config;
    private final int maxSeq;
    private final IntArray token = new IntArray(1);
    // one token's activations (x is the residual stream, updated in place layer by layer; up, the MLP's
    // pre-activation, is read by nothing but has a buffer of its own: its product writes act beside it)
    private final FloatArray x, normed, mean, rstd, q, att, h, up, act, logits;
    // a prompt chunk: its ids [C], the attention's key count [1] (pos + count), and its activations
    // [C, ...] as above, k and v [C, kvDim] before they go into the cache, the attention's lse [C, nh]
    private final IntArray chunkIds = new IntArray(PREFILL_ROWS), chunkKeys = new IntArray(1);
    private final FloatArray chunkX, chunkNormed, chunkMean, chunkRstd, chunkQ, chunkK, chunkV, chunkAtt, chunkH, chunkUp, chunkAct,
            chunkLse;
    // the cache after RoPE, [L, maxSeq, nkv*hd]
    private final FloatArray keys, values;
    private final Offsets layerOffsets = new Offsets(16), fixedOffsets = new Offsets(1), chunkHeadOffsets = new Offsets(2);
    /** The slot of chunkHeadOffsets holding the start of the last prompt row of a chunk in chunkX. */
    private final int lastRow = chunkHeadOffsets.slot();
    private final TokenLayerSlots slots = new TokenLayerSlots();
    private final RopeTables rope;
    private final GemmVariant gemmVariant = GemmVariant.selected();
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
        act = new FloatArray(c.intermediateSize());
        logits = new FloatArray(c.vocabSize());
        keys = new FloatArray(cache);
        values = new FloatArray(cache);
        int rows = PREFILL_ROWS;
        chunkX = new FloatArray(rows * hs);
        chunkNormed = new FloatArray(rows * hs);
        chunkMean = new FloatArray(rows);
        chunkRstd = new FloatArray(rows);
        chunkQ = new FloatArray(rows * qd);
        chunkK = new FloatArray(rows * c.kvDim());
        chunkV = new FloatArray(rows * c.kvDim());
        chunkAtt = new FloatArray(rows * qd);
        chunkH = new FloatArray(rows * hs);
        chunkUp = new FloatArray(rows * c.intermediateSize());
        chunkAct = new FloatArray(rows * c.intermediateSize());
        chunkLse = new FloatArray(rows * c.numAttentionHeads());
        // RoPE of a last chunk's dropped rows reads positions up to PREFILL_ROWS - 1 past the cache
        rope = new RopeTables(c.rotaryDim(), c.ropeTheta(), maxSeq + rows - 1);

        List<Object> shared = new ArrayList<>(List.of(token, rope.cos(), rope.sin(), x, normed, mean, rstd, q, att, h, up, act, logits,
                keys, values, chunkX, chunkNormed, chunkMean, chunkRstd, chunkQ, chunkK, chunkV, chunkAtt, chunkH, chunkUp, chunkAct,
                chunkLse));
        shared.addAll(weights.arrays());
        chain = new GraphChain(shared);
        plan = new GraphPlan(List.of(embed(weights), layer(weights), head("decodeHead", weights, new LayerForward.At(x, Offsets.ZERO),
                fixedOffsets), prefillEmbed(weights), prefillLayer(weights), head("prefillHead", weights,
                new LayerForward.At(chunkX, lastRow), chunkHeadOffsets)), chain.grids);
        // EMBED, the plan's first graph, allocates the shared buffers and sends the weights; a prompt's
        // first graph is PREFILL_EMBED, which takes them over, so EMBED runs once here (its x is
        // overwritten by the first token's)
        plan.run(EMBED);
    }

    /** The slots of the layer graphs' offsets table: weight starts, the layer's cache, the position, the count. */
    private final class TokenLayerSlots {
        // wh: [L,H] norms, wq, wkv, wo, wf: the projections; cache: the layer's cache [maxSeq, kvDim],
        // row: the (first) token's row of it; pos: its position; count: the tokens of a prompt chunk
        final int wh, wq, wkv, wo, wf, cache, row, pos, count;

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
            count = t.slot();
        }

        /** Writes layer l's offsets for n tokens from position p (sent with the layer graph's next run). */
        void select(int l, int p, int n) {
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
            t.set(count, n);
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
        LayerForward.At normedAt = new LayerForward.At(normed, z);
        LayerForward.Operands o = new LayerForward.Operands(new LayerForward.At(x, z), normedAt, normedAt, mean, rstd, mean, rstd, z,
                new LayerForward.At(q, z), new LayerForward.At(keys, s.row), new LayerForward.At(values, s.row), new LayerForward.At(att, z),
                new LayerForward.At(h, z), new LayerForward.At(up, z), new LayerForward.At(act, z), new LayerForward.At(x, z));
        LayerForward.build(ch, g, off, w, new LayerForward.WeightSlots(s.wh, s.wq, s.wkv, s.wo, s.wf), 1, o, new LayerForward.Ops() {
            @Override
            public void linear(TaskGraph graph, String id, LayerForward.At in, FloatArray weight, int wSlot, LayerForward.At out,
                               int outFeatures, int inFeatures, int epilogue, LayerForward.At extra) {
                graph.task(ch.task(graph, id, Launch.matrixVector(outFeatures)), DecodeKernels::matrixVector, ch.ctx, off, in.buffer(),
                        in.slot(), weight, wSlot, out.buffer(), out.slot(), outFeatures, inFeatures, epilogue, extra.buffer(), extra.slot());
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

    /** The final norm and lm_head of the row at last (the token's x, or a chunk's last prompt row), its slot in table. */
    private ImmutableTaskGraph head(String name, StackedParameters w, LayerForward.At last, Offsets table) {
        NemotronConfig c = config;
        GraphChain ch = chain;
        TaskGraph g = ch.next(name);
        IntArray off = table.array();
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, off);
        int hs = c.hiddenSize(), z = Offsets.ZERO;
        g.task(ch.task(g, "lnf", Launch.groupPerRow(1)), LayerNormKernels::forward, ch.ctx, off, last.buffer(), last.slot(), w.normW, z,
                w.normB, z, normed, z, mean, rstd, z, hs, (float) c.normEps());
        g.task(ch.task(g, "lmHead", Launch.matrixVector(c.vocabSize())), DecodeKernels::matrixVector, ch.ctx, off, normed, z, w.head,
                z, logits, z, c.vocabSize(), hs, Epilogue.STORE, normed, z);
        return ch.close(g);
    }

    private ImmutableTaskGraph prefillEmbed(StackedParameters w) {
        GraphChain ch = chain;
        TaskGraph g = ch.next("prefillEmbed");
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, chunkIds);
        int hs = config.hiddenSize();
        g.task(ch.task(g, "embedding", Launch.threads(PREFILL_ROWS * hs)), ElementwiseKernels::embeddingForward, ch.ctx, chunkIds, w.embed,
                chunkX, PREFILL_ROWS, hs);
        return ch.close(g);
    }

    /**
     * One layer's forward ({@link LayerForward}) for a chunk of a prompt: its rows' products as
     * matmuls, RoPE from the chunk's position, k and v stored into the cache (the prompt rows only),
     * then the chunk's causal attention over the cache.
     */
    private ImmutableTaskGraph prefillLayer(StackedParameters w) {
        NemotronConfig c = config;
        GraphChain ch = chain;
        TaskGraph g = ch.next("prefillLayer");
        IntArray off = layerOffsets.array();
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, off, chunkKeys);
        TokenLayerSlots s = slots;
        int rows = PREFILL_ROWS, nh = c.numAttentionHeads(), nkv = c.numKeyValueHeads(), hd = c.headDim(), kvd = c.kvDim(),
                pairs = c.rotaryDim() / 2, z = Offsets.ZERO;
        LayerForward.At xAt = new LayerForward.At(chunkX, z), normedAt = new LayerForward.At(chunkNormed, z);
        LayerForward.Operands o = new LayerForward.Operands(xAt, normedAt, normedAt, chunkMean, chunkRstd, chunkMean, chunkRstd, z,
                new LayerForward.At(chunkQ, z), new LayerForward.At(chunkK, z), new LayerForward.At(chunkV, z),
                new LayerForward.At(chunkAtt, z), new LayerForward.At(chunkH, z), new LayerForward.At(chunkUp, z),
                new LayerForward.At(chunkAct, z), xAt);
        LayerForward.build(ch, g, off, w, new LayerForward.WeightSlots(s.wh, s.wq, s.wkv, s.wo, s.wf), rows, o, new LayerForward.Ops() {
            @Override
            public void linear(TaskGraph graph, String id, LayerForward.At in, FloatArray weight, int wSlot, LayerForward.At out,
                               int outFeatures, int inFeatures, int epilogue, LayerForward.At extra) {
                gemmVariant.task(graph, ch.task(graph, id, gemmVariant.grid(rows, outFeatures)), ch.ctx, GemmVariant.Product.X_WT, off,
                        in.buffer(), in.slot(), weight, wSlot, out.buffer(), out.slot(), rows, outFeatures, inFeatures, epilogue,
                        extra.buffer(), extra.slot());
            }

            @Override
            public void rope(TaskGraph graph, String id, LayerForward.At at, int heads) {
                graph.task(ch.task(graph, id, Launch.threads(rows * heads * pairs)), ElementwiseKernels::rope, ch.ctx, off, at.buffer(),
                        at.slot(), DecodeGraphs.this.rope.cos(), DecodeGraphs.this.rope.sin(), s.pos, rows, heads, hd, pairs, rows, 1f);
            }

            @Override
            public void attention(TaskGraph graph) {
                graph.task(ch.task(graph, "storeK", Launch.threads(rows * kvd)), DecodeKernels::storeRows, ch.ctx, off, chunkK, keys, s.row,
                        s.count, kvd);
                graph.task(ch.task(graph, "storeV", Launch.threads(rows * kvd)), DecodeKernels::storeRows, ch.ctx, off, chunkV, values,
                        s.row, s.count, kvd);
                graph.task(ch.task(graph, "attention", Launch.attentionBlocks(nh, rows)), AttentionKernels::forward, ch.ctx, off, chunkQ, z,
                        keys, values, s.cache, chunkKeys, chunkLse, z, chunkAtt, z, s.pos, rows, maxSeq, nh, nkv, hd);
            }
        });
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
        // one token through the matrix-vector graphs; several (a prompt) in chunks through the prefill graphs
        if (tokens.length == 1) {
            token.set(0, tokens[0]);
            plan.run(EMBED);
            for (int l = 0; l < config.numHiddenLayers(); l++) {
                slots.select(l, length, 1);
                plan.run(LAYER);
            }
            length++;
            plan.run(HEAD).transferToHost(logits);
        } else {
            int count = 0;
            for (int from = 0; from < tokens.length; from += count) {
                count = Math.min(PREFILL_ROWS, tokens.length - from);
                for (int i = 0; i < PREFILL_ROWS; i++) chunkIds.set(i, i < count ? tokens[from + i] : 0);
                chunkKeys.set(0, length + count);
                plan.run(PREFILL_EMBED);
                for (int l = 0; l < config.numHiddenLayers(); l++) {
                    slots.select(l, length, count);
                    plan.run(PREFILL_LAYER);
                }
                length += count;
            }
            chunkHeadOffsets.set(lastRow, (count - 1) * config.hiddenSize());
            plan.run(PREFILL_HEAD).transferToHost(logits);
        }
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
