package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal grouped-query attention over a training batch as a FlashAttention-style pair, the twin of
 * {@link minitron4j.kernels.Attention} with qPos0 = 0: q and out are [B,T,nh,hd], k and v
 * [B,T,nkv,hd], query head h reads KV head h / (nh / nkv); lengths[B] masks right padding (keys at
 * or beyond it take no part; a query beyond it sees the row's real keys, as HF's masks leave it; a
 * row without real tokens gives zeros). The forward also serves a prompt chunk of a decoder
 * ({@link DecodeGraphs}): queries from a position qPos0 > 0 over a KV cache of kvSeq rows.
 *
 * <p>No [B,nh,T,T] tensor exists: the forward runs an online softmax over blocks of keys and saves
 * only each query row's logsumexp lse [B,T,nh]; the backward recomputes p = exp(s - lse) from q, k
 * and lse, as two tasks that each own their outputs (no atomics, fixed summation order):
 * {@link #backwardQuery} (dq, and D = dout . out per query row, which p's gradient needs) and
 * {@link #backwardKeyValue} (dk, dv over the group's heads and the queries at or after each key).
 *
 * <p>Work-groups: {@link Launch#attentionBlocks}, {@link Launch#GROUP} = {@link #ROWS} x
 * {@link #BLOCK} threads per work-group. The forward and dq give a work-group ROWS query rows of
 * one (b, h) and walk the keys in blocks of BLOCK staged in local memory; dk/dv gives it ROWS key
 * rows of one (b, g) and walks the queries (and dout) in blocks of BLOCK. Thread (r, j) = (local id
 * / BLOCK, local id % BLOCK) computes the score of its row r against entry j of the staged block,
 * then, as lane j of row r, the head dimensions d = j, j + BLOCK, ... of that row's output.
 * Staged blocks hold up to {@link #MAX_HEAD_DIM} floats per row (local arrays need sizes known when
 * the kernel compiles), so head_dim beyond it is refused where the graphs are built.
 *
 * <p>The saved per-layer tensors start at {@code off.get(their slot)} (see {@link Offsets}); the
 * gradients (dout, rowDot, dq, dk, dv) are scratch buffers of one layer, starting at 0.
 */
public final class AttentionKernels {
    /** Rows a work-group owns: query rows (forward, dq) or key rows (dk/dv). */
    public static final int ROWS = 8;
    /** Rows of one staged block: keys (forward, dq) or queries (dk/dv). ROWS * BLOCK = {@link Launch#GROUP}. */
    static final int BLOCK = Launch.GROUP / ROWS;
    /**
     * The largest head_dim the kernels take: the forward's staged K and V blocks and its
     * accumulators then fill 40.6 KiB of local memory, within the 48 KiB a work-group gets on most GPUs.
     */
    public static final int MAX_HEAD_DIM = 256;
    /**
     * Room per row of a staged block or an accumulator: rows sit {@code hd | 1} floats apart, an odd
     * stride, so that the 16 lanes reading one entry of 16 different rows hit 16 different banks.
     */
    static final int STRIDE = MAX_HEAD_DIM + 1;
    /** The score of a masked pair: below every real score, and exp of it minus a real maximum is 0. */
    static final float MASKED = -3.4e38f;

    private AttentionKernels() {}

    /** Refuses a head_dim the kernels' local arrays cannot hold. */
    static void checkHeadDim(int hd) {
        if (hd > MAX_HEAD_DIM)
            throw new IllegalArgumentException("head_dim " + hd + " exceeds " + MAX_HEAD_DIM + ", the largest the TornadoVM attention kernels "
                    + "stage in local memory");
    }

    /**
     * out and lse [B,T,nh] (logsumexp of each query row's scaled scores; 0 for a row that sees no
     * key). Query t sits at position off[qPosAt] + t and sees keys up to it; k and v are
     * [B,kvSeq,nkv,hd] (kvSeq = T for a batch). Per block of keys: the scores of every (row, key)
     * pair, the block's maximum per row, the running sum and the accumulated out rescaled by
     * exp(old max - new max), then p v added.
     */
    public static void forward(KernelContext ctx, IntArray off, FloatArray q, int qAt, FloatArray k, FloatArray v, int kvAt,
                               IntArray lengths, FloatArray lse, int lseAt, FloatArray out, int outAt, int qPosAt,
                               int seq, int kvSeq, int nh, int nkv, int hd) {
        int blocks = (seq + ROWS - 1) / ROWS, group = ctx.groupIdx, lid = ctx.localIdx;
        int r = lid / BLOCK, j = lid % BLOCK;
        int t0 = (group % blocks) * ROWS, h = (group / blocks) % nh, b = group / (blocks * nh);
        int g = h / (nh / nkv), t = t0 + r;
        int oq = off.get(qAt), okv = off.get(kvAt), qPos0 = off.get(qPosAt);
        float[] ks = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] vs = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] ps = ctx.allocateFloatLocalArray(ROWS * BLOCK);
        float[] acc = ctx.allocateFloatLocalArray(ROWS * STRIDE);
        int length = lengths.get(b);
        // the last key row t sees (causal, no padded key; -1 for none or a row past the sequence)
        int last = t < seq ? TornadoMath.min(qPos0 + t, length - 1) : -1;
        // keys any row of the block sees: the same bound for every thread, which the barriers need
        int keys = TornadoMath.min(qPos0 + t0 + ROWS, length);
        int qo = oq + ((b * seq + t) * nh + h) * hd;
        float scale = 1f / TornadoMath.sqrt((float) hd);
        int ld = hd | 1; // the local rows' stride, odd: see STRIDE
        float m = MASKED, l = 0f;
        for (int d = j; d < hd; d += BLOCK) acc[r * ld + d] = 0f;
        for (int k0 = 0; k0 < keys; k0 += BLOCK) {
            for (int e = lid; e < BLOCK * hd; e += Launch.GROUP) {
                int row = k0 + e / hd;
                int src = okv + ((b * kvSeq + row) * nkv + g) * hd + e % hd;
                int at = (e / hd) * ld + e % hd;
                ks[at] = row < keys ? k.get(src) : 0f;
                vs[at] = row < keys ? v.get(src) : 0f;
            }
            ctx.localBarrier();
            float s = MASKED;
            if (k0 + j <= last) {
                float dot = 0f;
                for (int d = 0; d < hd; d++) dot += q.get(qo + d) * ks[j * ld + d];
                s = dot * scale;
            }
            ps[lid] = s;
            ctx.localBarrier();
            float max = m;
            for (int i = 0; i < BLOCK; i++) max = TornadoMath.max(max, ps[r * BLOCK + i]);
            float rescale = TornadoMath.exp(m - max);
            ctx.localBarrier(); // every lane has read the row's scores before they become p
            ps[lid] = k0 + j <= last ? TornadoMath.exp(s - max) : 0f;
            ctx.localBarrier();
            float sum = 0f;
            for (int i = 0; i < BLOCK; i++) sum += ps[r * BLOCK + i];
            l = l * rescale + sum;
            m = max;
            for (int d = j; d < hd; d += BLOCK) {
                float a = acc[r * ld + d] * rescale;
                for (int i = 0; i < BLOCK; i++) a += ps[r * BLOCK + i] * vs[i * ld + d];
                acc[r * ld + d] = a;
            }
            ctx.localBarrier(); // before the next block overwrites ks, vs and ps
        }
        if (t < seq) {
            float inv = l > 0f ? 1f / l : 0f;
            int oo = off.get(outAt) + ((b * seq + t) * nh + h) * hd;
            for (int d = j; d < hd; d += BLOCK) out.set(oo + d, acc[r * ld + d] * inv);
            if (j == 0) lse.set(off.get(lseAt) + (b * seq + t) * nh + h, l > 0f ? m + TornadoMath.log(l) : 0f);
        }
    }

    /**
     * dq [B,T,nh,hd] = sum over the row's keys of dS k, dS = p (dout . v - D) / sqrt(hd), with
     * p = exp(s - lse) and D = dout . out; rowDot [B,T,nh] gets D for {@link #backwardKeyValue}.
     * Keys staged in blocks as in {@link #forward}, V beside K; dq accumulates in local memory.
     */
    public static void backwardQuery(KernelContext ctx, IntArray off, FloatArray dout, FloatArray q, int qAt, FloatArray k,
                                     FloatArray v, int kvAt, FloatArray out, int outAt, IntArray lengths, FloatArray lse, int lseAt,
                                     FloatArray rowDot, FloatArray dq, int seq, int nh, int nkv, int hd) {
        int blocks = (seq + ROWS - 1) / ROWS, group = ctx.groupIdx, lid = ctx.localIdx;
        int r = lid / BLOCK, j = lid % BLOCK;
        int t0 = (group % blocks) * ROWS, h = (group / blocks) % nh, b = group / (blocks * nh);
        int g = h / (nh / nkv), t = t0 + r;
        int okv = off.get(kvAt);
        float[] ks = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] vs = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] ps = ctx.allocateFloatLocalArray(ROWS * BLOCK);
        float[] acc = ctx.allocateFloatLocalArray(ROWS * STRIDE);
        int length = lengths.get(b);
        int last = t < seq ? TornadoMath.min(t, length - 1) : -1;
        int keys = TornadoMath.min(t0 + ROWS, length);
        int row = (b * seq + t) * nh + h, ro = row * hd, qo = off.get(qAt) + ro, oo = off.get(outAt) + ro;
        float scale = 1f / TornadoMath.sqrt((float) hd);
        int ld = hd | 1; // the local rows' stride, odd: see STRIDE
        // D of the row: each lane's share, then the lanes' shares added in order
        float share = 0f;
        if (t < seq) for (int d = j; d < hd; d += BLOCK) share += dout.get(ro + d) * out.get(oo + d);
        ps[lid] = share;
        ctx.localBarrier();
        float dot = 0f;
        for (int i = 0; i < BLOCK; i++) dot += ps[r * BLOCK + i];
        float rowLse = 0f;
        if (t < seq) {
            rowLse = lse.get(off.get(lseAt) + row);
            if (j == 0) rowDot.set(row, dot);
        }
        for (int d = j; d < hd; d += BLOCK) acc[r * ld + d] = 0f;
        ctx.localBarrier(); // every lane has read the shares before ps holds dS
        for (int k0 = 0; k0 < keys; k0 += BLOCK) {
            for (int e = lid; e < BLOCK * hd; e += Launch.GROUP) {
                int key = k0 + e / hd;
                int src = okv + ((b * seq + key) * nkv + g) * hd + e % hd;
                int at = (e / hd) * ld + e % hd;
                ks[at] = key < keys ? k.get(src) : 0f;
                vs[at] = key < keys ? v.get(src) : 0f;
            }
            ctx.localBarrier();
            float ds = 0f;
            if (k0 + j <= last) {
                float s = 0f, dp = 0f;
                for (int d = 0; d < hd; d++) {
                    s += q.get(qo + d) * ks[j * ld + d];
                    dp += dout.get(ro + d) * vs[j * ld + d];
                }
                float p = TornadoMath.exp(s * scale - rowLse);
                ds = p * (dp - dot) * scale;
            }
            ps[lid] = ds;
            ctx.localBarrier();
            for (int d = j; d < hd; d += BLOCK) {
                float a = acc[r * ld + d];
                for (int i = 0; i < BLOCK; i++) a += ps[r * BLOCK + i] * ks[i * ld + d];
                acc[r * ld + d] = a;
            }
            ctx.localBarrier(); // before the next block overwrites ks, vs and ps
        }
        if (t < seq) for (int d = j; d < hd; d += BLOCK) dq.set(ro + d, acc[r * ld + d]);
    }

    /**
     * dk[b,t2,g,:] = sum over the group's heads h and queries t >= t2 of dS[h,t,t2] q[b,t,h,:];
     * dv[b,t2,g,:] the same with p and dout (p and dS recomputed as in {@link #backwardQuery}, whose
     * rowDot this reads). Queries and dout are staged in blocks; each lane adds into its own dk and dv
     * entries in global memory: accumulators in local memory beside the two staged blocks would pass
     * 48 KiB at head_dim 256.
     */
    public static void backwardKeyValue(KernelContext ctx, IntArray off, FloatArray dout, FloatArray q, int qAt, FloatArray k,
                                        FloatArray v, int kvAt, IntArray lengths, FloatArray lse, int lseAt, FloatArray rowDot,
                                        FloatArray dk, FloatArray dv, int seq, int nh, int nkv, int hd) {
        int blocks = (seq + ROWS - 1) / ROWS, group = ctx.groupIdx, lid = ctx.localIdx;
        int r = lid / BLOCK, j = lid % BLOCK;
        int k0 = (group % blocks) * ROWS, g = (group / blocks) % nkv, b = group / (blocks * nkv);
        int t2 = k0 + r, heads = nh / nkv;
        int oq = off.get(qAt), ol = off.get(lseAt);
        float[] qs = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] dos = ctx.allocateFloatLocalArray(BLOCK * STRIDE);
        float[] ps = ctx.allocateFloatLocalArray(ROWS * BLOCK);
        float[] dss = ctx.allocateFloatLocalArray(ROWS * BLOCK);
        float[] rowLse = ctx.allocateFloatLocalArray(BLOCK);
        float[] rowD = ctx.allocateFloatLocalArray(BLOCK);
        int length = lengths.get(b);
        // a key at or past the row's length takes no part; every query from the block's first key on may see the others
        int real = t2 < TornadoMath.min(seq, length) ? 1 : 0;
        int queries = k0 < length ? seq : k0;
        int ko = ((b * seq + t2) * nkv + g) * hd, kvo = off.get(kvAt) + ko;
        float scale = 1f / TornadoMath.sqrt((float) hd);
        int ld = hd | 1; // the local rows' stride, odd: see STRIDE
        if (t2 < seq)
            for (int d = j; d < hd; d += BLOCK) {
                dk.set(ko + d, 0f);
                dv.set(ko + d, 0f);
            }
        for (int h = g * heads; h < (g + 1) * heads; h++) {
            for (int q0 = k0; q0 < queries; q0 += BLOCK) {
                for (int e = lid; e < BLOCK * hd; e += Launch.GROUP) {
                    int t = q0 + e / hd;
                    int src = ((b * seq + t) * nh + h) * hd + e % hd;
                    int at = (e / hd) * ld + e % hd;
                    qs[at] = t < queries ? q.get(oq + src) : 0f;
                    dos[at] = t < queries ? dout.get(src) : 0f;
                }
                if (lid < BLOCK) {
                    int t = q0 + lid;
                    rowLse[lid] = t < queries ? lse.get(ol + (b * seq + t) * nh + h) : 0f;
                    rowD[lid] = t < queries ? rowDot.get((b * seq + t) * nh + h) : 0f;
                }
                ctx.localBarrier();
                int t = q0 + j;
                float p = 0f, ds = 0f;
                if (real == 1 && t < queries && t2 <= t) {
                    float s = 0f, dp = 0f;
                    for (int d = 0; d < hd; d++) {
                        s += qs[j * ld + d] * k.get(kvo + d);
                        dp += dos[j * ld + d] * v.get(kvo + d);
                    }
                    p = TornadoMath.exp(s * scale - rowLse[j]);
                    ds = p * (dp - rowD[j]) * scale;
                }
                ps[lid] = p;
                dss[lid] = ds;
                ctx.localBarrier();
                if (t2 < seq)
                    for (int d = j; d < hd; d += BLOCK) {
                        float ak = 0f, av = 0f;
                        for (int i = 0; i < BLOCK; i++) {
                            ak += dss[r * BLOCK + i] * qs[i * ld + d];
                            av += ps[r * BLOCK + i] * dos[i * ld + d];
                        }
                        dk.set(ko + d, dk.get(ko + d) + ak);
                        dv.set(ko + d, dv.get(ko + d) + av);
                    }
                ctx.localBarrier(); // before the next block overwrites the staged rows
            }
        }
    }
}
