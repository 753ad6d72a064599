package minitron4j.tornado;

import minitron4j.model.NemotronConfig;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The forward op sequence of one Nemotron decoder layer as the tasks of a graph, written once for
 * the batch graphs ({@link ModelGraphs}: [B*T] rows, every activation saved for the backward pass)
 * and the decode graphs ({@link DecodeGraphs}: one token through the KV cache). Twin of the layer in
 * {@link minitron4j.model.Nemotron}:
 * <pre>
 * h = x + o_proj(attention(rope(q_proj(LN1P_in(x))), rope(k_proj(.)), v_proj(.)))
 * y = h + down_proj(relu(up_proj(LN1P_post(h)))^2)
 * </pre>
 * What differs between the two is where each operand lives ({@link Operands}: a buffer and the
 * {@link Offsets} slot of its start) and how the products, RoPE and attention run ({@link Ops}).
 * The residual adds run in the o and down projections' {@link Epilogue}s and the squared ReLU in
 * the up-projection's, not as tasks of their own.
 */
final class LayerForward {
    private LayerForward() {}

    /** An operand: its buffer and the slot of the offsets table that holds its start. */
    record At(FloatArray buffer, int slot) {
    }

    /**
     * Where the layer reads and writes: the input x, the norms' outputs and statistics (mean and
     * rstd at one slot), q, k, v, the attention output, h, the MLP's pre- and post-activation, and
     * the output y (which may be x itself: the decode graphs update the residual stream in place).
     */
    record Operands(At x, At normed1, At normed2, FloatArray mean1, FloatArray rstd1, FloatArray mean2, FloatArray rstd2,
                    int statsSlot, At q, At k, At v, At att, At h, At up, At act, At y) {
    }

    /** The slots of the layer's weights: [L, H] norms, the q, k/v, o and MLP projections. */
    record WeightSlots(int norms, int q, int kv, int o, int mlp) {
    }

    /** The steps that differ between a batch of rows and one token through the cache. */
    interface Ops {
        /**
         * out [rows, outFeatures] = in [rows, inFeatures] W^T, W at its slot, finished by the
         * {@link Epilogue} with extra [rows, outFeatures].
         */
        void linear(TaskGraph g, String id, At in, FloatArray w, int wSlot, At out, int outFeatures, int inFeatures, int epilogue,
                    At extra);

        /** out = in W^T, stored as it is (in stands in for the extra operand STORE takes none of: see {@link Epilogue}). */
        default void linear(TaskGraph g, String id, At in, FloatArray w, int wSlot, At out, int outFeatures, int inFeatures) {
            linear(g, id, in, w, wSlot, out, outFeatures, inFeatures, Epilogue.STORE, in);
        }

        /** RoPE of x [rows, heads * head_dim] at each row's position. */
        void rope(TaskGraph g, String id, At x, int heads);

        /** att = causal GQA attention of q over the keys and values as {@link Operands} placed them. */
        void attention(TaskGraph g);
    }

    /** Adds the layer's tasks, in order, to g; rows is the number of token rows. */
    static void build(GraphChain chain, TaskGraph g, IntArray off, StackedParameters w, WeightSlots ws, int rows, Operands o, Ops ops) {
        NemotronConfig c = w.config;
        int hs = c.hiddenSize(), f = c.intermediateSize(), qd = c.qDim(), kvd = c.kvDim();
        float eps = (float) c.normEps();
        g.task(chain.task(g, "ln1", Launch.groupPerRow(rows)), LayerNormKernels::forward, chain.ctx, off, o.x().buffer(), o.x().slot(),
                w.inW, ws.norms(), w.inB, ws.norms(), o.normed1().buffer(), o.normed1().slot(), o.mean1(), o.rstd1(), o.statsSlot(), hs, eps);
        ops.linear(g, "q", o.normed1(), w.q, ws.q(), o.q(), qd, hs);
        ops.linear(g, "k", o.normed1(), w.k, ws.kv(), o.k(), kvd, hs);
        ops.linear(g, "v", o.normed1(), w.v, ws.kv(), o.v(), kvd, hs);
        ops.rope(g, "ropeQ", o.q(), c.numAttentionHeads());
        ops.rope(g, "ropeK", o.k(), c.numKeyValueHeads());
        ops.attention(g);
        // the residual connections in the products' epilogues: h = att W_o^T + x, y = act W_down^T + h
        ops.linear(g, "o", o.att(), w.o, ws.o(), o.h(), hs, qd, Epilogue.ADD, o.x());
        g.task(chain.task(g, "ln2", Launch.groupPerRow(rows)), LayerNormKernels::forward, chain.ctx, off, o.h().buffer(), o.h().slot(),
                w.postW, ws.norms(), w.postB, ws.norms(), o.normed2().buffer(), o.normed2().slot(), o.mean2(), o.rstd2(), o.statsSlot(),
                hs, eps);
        // up keeps the pre-activation for the backward, act = relu(up)^2 is written by the same kernel
        ops.linear(g, "up", o.normed2(), w.up, ws.mlp(), o.up(), f, hs, Epilogue.SQUARED_RELU, o.act());
        ops.linear(g, "down", o.act(), w.down, ws.mlp(), o.y(), hs, f, Epilogue.ADD, o.h());
    }
}
