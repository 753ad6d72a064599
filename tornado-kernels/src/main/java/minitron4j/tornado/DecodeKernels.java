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
 * Attention is one task, a work-group per query head with an online softmax over the cache rows
 * ({@link #attention}); the products of the token's row with the weights run as matrix-vector
 * products ({@link #matrixVector}).
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
     * out[n] = w[n, k] x[k]: the forward product x W^T of one token, finished by the epilogue (extra
     * at extraAt is [n] like out; see {@link Epilogue}). One work-group per
     * {@link #MATRIX_VECTOR_ROWS} rows of w ({@link Launch#matrixVector}); the {@link #LANES} lanes of
     * a row read neighbouring entries of it (c = lane, lane + LANES, ...) and their partial sums meet
     * in a local-memory tree of fixed pairing, so the same inputs give the same bits. The 16x16
     * matmul tiles over one row would leave 15 of every 16 threads idle.
     */
    public static void matrixVector(KernelContext ctx, IntArray off, FloatArray x, int xAt, FloatArray w, int wAt,
                                    FloatArray out, int outAt, int n, int k, int epilogue, FloatArray extra, int extraAt) {
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
        if (lane == 0 && row < n) Epilogue.apply(epilogue, partial[lid], out, off.get(outAt) + row, extra, off.get(extraAt) + row);
    }

    /**
     * dst[off[dstAt] + i] = src[i] for i < off[countAt] * width: the rows of a prompt chunk's k or v
     * [rows, width] that hold prompt tokens, into the cache from the chunk's first position (the rows
     * past the prompt are dropped: they may lie past the cache). One thread per entry of src.
     */
    public static void storeRows(KernelContext ctx, IntArray off, FloatArray src, FloatArray dst, int dstAt, int countAt, int width) {
        int i = ctx.globalIdx;
        if (i < off.get(countAt) * width) dst.set(off.get(dstAt) + i, src.get(i));
    }

    /**
     * out[nh, hd]: out[h] = softmax over t <= pos of q[h] . keys[t, g] / sqrt(hd), times values[t, g],
     * the layer's cache starting at off[cacheAt]. One work-group per head ({@link Launch#groupPerRow}
     * of nh) walks the positions in blocks of {@link Launch#GROUP} with an online softmax: each
     * thread scores one position, the block's maximum and sum meet in local-memory trees, the running
     * sum and the output so far are rescaled by exp(old max - new max), then each thread adds the
     * block's p v to the dimensions it owns (d = lid, lid + GROUP, ...). No scores leave the work-group.
     */
    public static void attention(KernelContext ctx, IntArray off, FloatArray q, FloatArray keys, FloatArray values, int cacheAt,
                                 int posAt, FloatArray out, int nh, int nkv, int hd) {
        int h = ctx.groupIdx, lid = ctx.localIdx;
        int count = off.get(posAt) + 1, rowStride = nkv * hd, cache = off.get(cacheAt) + (h / (nh / nkv)) * hd;
        float[] qs = ctx.allocateFloatLocalArray(AttentionKernels.MAX_HEAD_DIM);
        float[] acc = ctx.allocateFloatLocalArray(AttentionKernels.MAX_HEAD_DIM);
        float[] ps = ctx.allocateFloatLocalArray(Launch.GROUP);
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        for (int d = lid; d < hd; d += Launch.GROUP) {
            qs[d] = q.get(h * hd + d);
            acc[d] = 0f;
        }
        ctx.localBarrier();
        float scale = 1f / TornadoMath.sqrt((float) hd);
        float m = AttentionKernels.MASKED, l = 0f;
        for (int t0 = 0; t0 < count; t0 += Launch.GROUP) {
            int t = t0 + lid;
            float s = AttentionKernels.MASKED;
            if (t < count) {
                float dot = 0f;
                for (int d = 0; d < hd; d++) dot += qs[d] * keys.get(cache + t * rowStride + d);
                s = dot * scale;
            }
            red[lid] = s;
            for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
            }
            ctx.localBarrier();
            float max = TornadoMath.max(m, red[0]);
            float rescale = TornadoMath.exp(m - max);
            float p = t < count ? TornadoMath.exp(s - max) : 0f;
            ps[lid] = p;
            ctx.localBarrier(); // every thread has read the maximum before red holds the sums
            red[lid] = p;
            for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) red[lid] += red[lid + stride];
            }
            ctx.localBarrier();
            l = l * rescale + red[0];
            m = max;
            int used = TornadoMath.min(Launch.GROUP, count - t0);
            for (int d = lid; d < hd; d += Launch.GROUP) {
                float a = acc[d] * rescale;
                for (int i = 0; i < used; i++) a += ps[i] * values.get(cache + (t0 + i) * rowStride + d);
                acc[d] = a;
            }
            ctx.localBarrier(); // before the next block overwrites ps and red
        }
        for (int d = lid; d < hd; d += Launch.GROUP) out.set(h * hd + d, acc[d] / l);
    }
}
