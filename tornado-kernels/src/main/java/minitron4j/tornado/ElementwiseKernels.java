package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ops that touch each element on its own: embedding, RoPE, an add, a head's bias and dropout,
 * and a fill (the squared ReLU and the layer's residual adds run in the products' epilogues:
 * {@link Epilogue}); twins of {@link minitron4j.kernels.Embedding}, {@link minitron4j.kernels.Rope}
 * and the head's share of {@link minitron4j.model.Nemotron}. One thread per element ({@link Launch#threads}; a backward
 * that sums over rows: one per column); threads past the end do nothing. Per-layer arguments start
 * at {@code off.get(their slot)} (see {@link Offsets}).
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    /** out[N,H] = table[ids[n], :]; one thread per element of out. */
    public static void embeddingForward(KernelContext ctx, IntArray ids, FloatArray table, FloatArray out, int n, int h) {
        int id = ctx.globalIdx;
        if (id < n * h) {
            int i = id / h, j = id % h;
            out.set(id, table.get(ids.get(i) * h + j));
        }
    }

    /**
     * dTable[ids[n], :] += dout[n, :] but for tokens paddingIdx (HF's padding_idx; -1 for none); one
     * thread per channel, walking the tokens in order, so repeated ids neither race nor change the
     * order of the sum.
     */
    public static void embeddingBackward(KernelContext ctx, IntArray ids, FloatArray dout, FloatArray dTable, int n, int h,
                                         int paddingIdx) {
        int j = ctx.globalIdx;
        if (j < h) {
            for (int i = 0; i < n; i++) {
                int id = ids.get(i);
                if (id != paddingIdx) {
                    int o = id * h + j;
                    dTable.set(o, dTable.get(o) + dout.get(i * h + j));
                }
            }
        }
    }

    /**
     * Rotates x[N, heads, hd] in place, token i at position off[posAt] + i % seq (a chunk of a
     * prompt starts past 0; a batch's rows at 0), with HF's rotate_half pairing
     * over the first 2*pairs channels of each head; the tables are [maxPos, pairs]. sign = 1 applies
     * the rotation, -1 its transpose (the backward). One thread per (token, head, pair).
     */
    public static void rope(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray cosTable, FloatArray sinTable,
                            int posAt, int n, int heads, int hd, int pairs, int seq, float sign) {
        // "half" and "sin" would clash with OpenCL C names in the generated kernel
        int id = ctx.globalIdx;
        if (id < n * heads * pairs) {
            int ox = off.get(xAt);
            int j = id % pairs, th = id / pairs;
            int i = th / heads;
            int t = (off.get(posAt) + i % seq) * pairs + j;
            float c = cosTable.get(t), s = sign * sinTable.get(t);
            int base = ox + th * hd;
            float a = x.get(base + j), b = x.get(base + j + pairs);
            x.set(base + j, a * c - b * s);
            x.set(base + j + pairs, b * c + a * s);
        }
    }

    /** y[n] += x[n] (the intermediate-state loss adds its gradient shares with it). */
    public static void add(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray y, int yAt, int n) {
        int i = ctx.globalIdx;
        if (i < n) {
            int o = off.get(yAt) + i;
            y.set(o, y.get(o) + x.get(off.get(xAt) + i));
        }
    }

    /** out[N,K] += bias[K] (a head's bias on every row). */
    public static void biasForward(KernelContext ctx, FloatArray out, FloatArray bias, int n, int k) {
        int id = ctx.globalIdx;
        if (id < n * k) out.set(id, out.get(id) + bias.get(id % k));
    }

    /** dBias[K] += the column sums of dout[N,K]; one thread per column, walking the rows in order (no atomics). */
    public static void biasBackward(KernelContext ctx, FloatArray dout, FloatArray dBias, int n, int k) {
        int j = ctx.globalIdx;
        if (j < k) {
            float s = dBias.get(j);
            for (int i = 0; i < n; i++) s += dout.get(i * k + j);
            dBias.set(j, s);
        }
    }

    /**
     * out[n] = x[n] * scales[n], scales holding 0 (dropped) or 1 / (1 - p) (kept) as
     * {@link minitron4j.model.Dropout#scales} draws them: the dropout's forward, and with the
     * gradient as x its backward (out may be x).
     */
    public static void dropout(KernelContext ctx, FloatArray x, FloatArray scales, FloatArray out, int n) {
        int i = ctx.globalIdx;
        if (i < n) out.set(i, x.get(i) * scales.get(i));
    }

    /** x[n] = 0 (a gradient that the next tasks only add into). */
    public static void zero(KernelContext ctx, FloatArray x, int n) {
        int i = ctx.globalIdx;
        if (i < n) x.set(i, 0f);
    }

    /** How many float buffers one {@link #reside} task holds. */
    public static final int RESIDE_ARGS = 15;

    /**
     * Does nothing: a task of the first graph names buffers that only later graphs compute with, so
     * that TornadoVM allocates them there and the later graphs can take them over (a graph hands
     * on only buffers it has; a transfer alone does not allocate one). Launch: one work-group.
     */
    public static void reside(KernelContext ctx, IntArray i0, FloatArray f0, FloatArray f1, FloatArray f2, FloatArray f3,
                              FloatArray f4, FloatArray f5, FloatArray f6, FloatArray f7, FloatArray f8, FloatArray f9,
                              FloatArray f10, FloatArray f11, FloatArray f12, FloatArray f13, FloatArray f14) {
    }
}
