package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ops of one new token against a KV cache, the twins of {@link minitron4j.kernels.Rope} at one
 * position and of {@link minitron4j.kernels.Attention} with a single query at position pos over
 * cache positions 0..pos. The cache of one layer is [maxSeq, nkv, hd] (keys after RoPE); query head
 * h reads KV head h / (nh / nkv). The position and the layer's cache start are read from
 * {@code off} (see {@link Offsets}), so one compiled graph serves every layer and every step.
 * Attention runs as three tasks that each own their outputs: {@link #attentionScores},
 * {@link #attentionSoftmax} (one work-group per head), {@link #attentionValues}. The products of the
 * token's row with the weights run as matrix-vector products ({@link #matrixVector}).
 */
public final class DecodeKernels {
    /** Rows of w one work-group of {@link #matrixVector} computes. */
    public static final int MATRIX_VECTOR_ROWS = 4;
    /** Lanes that split one row's dot product: a warp of 32 reads 128 contiguous bytes of the row. */
    static final int LANES = Launch.GROUP / MATRIX_VECTOR_ROWS;

    private DecodeKernels() {}

    /**
     * Rotates x[heads, hd] (one token) in place at position off[posAt], HF's rotate_half pairing
     * over the first 2*pairs channels of each head; the tables are [positions, pairs]. One thread
     * per (head, pair).
     */
    public static void rope(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray cosTable, FloatArray sinTable,
                            int posAt, int heads, int hd, int pairs) {
        // "half" and "sin" would clash with OpenCL C names in the generated kernel
        int id = ctx.globalIdx;
        if (id < heads * pairs) {
            int j = id % pairs, head = id / pairs;
            int t = off.get(posAt) * pairs + j;
            float c = cosTable.get(t), s = sinTable.get(t);
            int base = off.get(xAt) + head * hd;
            float a = x.get(base + j), b = x.get(base + j + pairs);
            x.set(base + j, a * c - b * s);
            x.set(base + j + pairs, b * c + a * s);
        }
    }

    /**
     * out[n] = w[n, k] x[k]: the forward product x W^T of one token. One work-group per
     * {@link #MATRIX_VECTOR_ROWS} rows of w ({@link Launch#matrixVector}); the {@link #LANES} lanes of
     * a row read neighbouring entries of it (c = lane, lane + LANES, ...) and their partial sums meet
     * in a local-memory tree of fixed pairing, so the same inputs give the same bits. The 16x16
     * matmul tiles over one row would leave 15 of every 16 threads idle.
     */
    public static void matrixVector(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray w, int wAt,
                                    FloatArray out, int outAt, int n, int k) {
        int lid = ctx.localIdx, lane = lid % LANES;
        int row = ctx.groupIdx * MATRIX_VECTOR_ROWS + lid / LANES;
        float[] partial = ctx.allocateFloatLocalArray(Launch.GROUP);
        float sum = 0f;
        if (row < n) {
            int ox = off.get(xAt), ow = off.get(wAt) + row * k;
            for (int c = lane; c < k; c += LANES) sum += w.get(ow + c) * x.get(ox + c);
        }
        partial[lid] = sum;
        for (int stride = LANES / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lane < stride) partial[lid] += partial[lid + stride];
        }
        if (lane == 0 && row < n) out.set(off.get(outAt) + row, partial[lid]);
    }

    /**
     * scores[nh, maxSeq]: scores[h, t] = q[h] . keys[t, g] / sqrt(hd) for t <= pos; entries past
     * pos are left alone. keys is the layer's cache, starting at off[cacheAt]. One thread per (h, t).
     */
    public static void attentionScores(KernelContext ctx, IntArray off, FloatArray q, FloatArray keys, int cacheAt, int posAt,
                                       FloatArray scores, int nh, int nkv, int hd, int maxSeq) {
        int id = ctx.globalIdx;
        if (id < nh * maxSeq) {
            int t = id % maxSeq, h = id / maxSeq;
            if (t <= off.get(posAt)) {
                int g = h / (nh / nkv);
                int ko = off.get(cacheAt) + (t * nkv + g) * hd, qo = h * hd;
                float s = 0f;
                for (int d = 0; d < hd; d++) s += q.get(qo + d) * keys.get(ko + d);
                scores.set(id, s * (1f / TornadoMath.sqrt((float) hd)));
            }
        }
    }

    /**
     * The softmax of scores[h, 0..pos] in place, one work-group per head ({@link Launch#groupPerRow}
     * of nh): the maximum and the sum are reduced in local memory, and each thread rewrites only the
     * entries it read, so no thread reads another's global writes.
     */
    public static void attentionSoftmax(KernelContext ctx, IntArray off, FloatArray scores, int posAt, int maxSeq) {
        int h = ctx.groupIdx, lid = ctx.localIdx;
        int count = off.get(posAt) + 1, row = h * maxSeq;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        float m = -3.4e38f;
        for (int t = lid; t < count; t += Launch.GROUP) m = TornadoMath.max(m, scores.get(row + t));
        red[lid] = m;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
        }
        ctx.localBarrier();
        float max = red[0];
        ctx.localBarrier();
        float sum = 0f;
        for (int t = lid; t < count; t += Launch.GROUP) {
            float e = TornadoMath.exp(scores.get(row + t) - max);
            scores.set(row + t, e);
            sum += e;
        }
        red[lid] = sum;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        float inv = 1f / red[0];
        for (int t = lid; t < count; t += Launch.GROUP) scores.set(row + t, scores.get(row + t) * inv);
    }

    /**
     * out[nh, hd]: out[h, d] = sum over t <= pos of probs[h, t] values[t, g, d], values the layer's
     * cache from off[cacheAt]. One thread per element of out.
     */
    public static void attentionValues(KernelContext ctx, IntArray off, FloatArray probs, FloatArray values, int cacheAt, int posAt,
                                       FloatArray out, int nh, int nkv, int hd, int maxSeq) {
        int id = ctx.globalIdx;
        if (id < nh * hd) {
            int d = id % hd, h = id / hd;
            int g = h / (nh / nkv);
            int count = off.get(posAt) + 1, ov = off.get(cacheAt) + g * hd + d;
            float acc = 0f;
            for (int t = 0; t < count; t++) acc += probs.get(h * maxSeq + t) * values.get(ov + t * nkv * hd);
            out.set(id, acc);
        }
    }
}
