package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal grouped-query attention over a training batch, the twin of
 * {@link minitron4j.kernels.Attention} with qPos0 = 0: q and out are [B,T,nh,hd], k and v
 * [B,T,nkv,hd], query head h reads KV head h / (nh / nkv); lengths[B] masks right padding (keys at
 * or beyond it take no part; a query beyond it sees the row's real keys, as HF's masks leave it; a
 * row without real tokens gives zeros). probs [B,nh,T,T] is saved for the
 * backward pass, which runs as three tasks that each own their outputs (no atomics, fixed order):
 * {@link #backwardScores}, {@link #backwardQuery}, {@link #backwardKeyValue}. The saved
 * per-layer tensors start at {@code off.get(their slot)} (see {@link Offsets}); the gradients
 * (dout, dscores, dq, dk, dv) are scratch buffers of one layer.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** One thread per (b, h, t) query row: scores, softmax into probs, then the weighted sum of v. */
    public static void forward(KernelContext ctx, IntArray off, FloatArray q, int qAt, FloatArray k, FloatArray v, int kvAt,
                               IntArray lengths, FloatArray probs, int probsAt, FloatArray out, int outAt,
                               int batch, int seq, int nh, int nkv, int hd) {
        int id = ctx.globalIdx;
        if (id < batch * nh * seq) {
            int oq = off.get(qAt), okv = off.get(kvAt), op = off.get(probsAt), oo = off.get(outAt);
            int t = id % seq, h = (id / seq) % nh, b = id / (seq * nh);
            int g = h / (nh / nkv);
            int qo = ((b * seq + t) * nh + h) * hd;
            int po = op + id * seq;
            float scale = 1f / TornadoMath.sqrt((float) hd);
            for (int t2 = 0; t2 < seq; t2++) probs.set(po + t2, 0f);
            int last = TornadoMath.min(t, lengths.get(b) - 1); // causal, and no padded key
            if (last < 0) {
                for (int d = 0; d < hd; d++) out.set(oo + qo + d, 0f);
            } else {
                float max = -3.4e38f;
                for (int t2 = 0; t2 <= last; t2++) {
                    int ko = okv + ((b * seq + t2) * nkv + g) * hd;
                    float s = 0f;
                    for (int d = 0; d < hd; d++) s += q.get(oq + qo + d) * k.get(ko + d);
                    s *= scale;
                    probs.set(po + t2, s);
                    max = TornadoMath.max(max, s);
                }
                float sum = 0f;
                for (int t2 = 0; t2 <= last; t2++) {
                    float e = TornadoMath.exp(probs.get(po + t2) - max);
                    probs.set(po + t2, e);
                    sum += e;
                }
                float inv = 1f / sum;
                for (int t2 = 0; t2 <= last; t2++) probs.set(po + t2, probs.get(po + t2) * inv);
                for (int d = 0; d < hd; d++) {
                    float acc = 0f;
                    for (int t2 = 0; t2 <= last; t2++) acc += probs.get(po + t2) * v.get(okv + ((b * seq + t2) * nkv + g) * hd + d);
                    out.set(oo + qo + d, acc);
                }
            }
        }
    }

    /**
     * dscores[B,nh,T,T] = p (dp - sum_t2 p dp) / sqrt(hd), dp[t2] = dout[t] . v[t2]: the gradient of
     * the pre-softmax scores. One thread per (b, h, t) row.
     */
    public static void backwardScores(KernelContext ctx, IntArray off, FloatArray dout, FloatArray probs, int probsAt,
                                      FloatArray v, int vAt, FloatArray dscores, int batch, int seq, int nh, int nkv, int hd) {
        int id = ctx.globalIdx;
        if (id < batch * nh * seq) {
            int op = off.get(probsAt) + id * seq, ov = off.get(vAt);
            int t = id % seq, h = (id / seq) % nh, b = id / (seq * nh);
            int g = h / (nh / nkv);
            int qo = ((b * seq + t) * nh + h) * hd;
            int po = id * seq;
            float scale = 1f / TornadoMath.sqrt((float) hd);
            float dot = 0f;
            for (int t2 = 0; t2 < seq; t2++) {
                float dp = 0f;
                if (t2 <= t) {
                    int vo = ov + ((b * seq + t2) * nkv + g) * hd;
                    for (int d = 0; d < hd; d++) dp += dout.get(qo + d) * v.get(vo + d);
                }
                dscores.set(po + t2, dp);
                dot += probs.get(op + t2) * dp;
            }
            for (int t2 = 0; t2 < seq; t2++)
                dscores.set(po + t2, probs.get(op + t2) * (dscores.get(po + t2) - dot) * scale);
        }
    }

    /** dq[b,t,h,:] = sum_t2 dscores[b,h,t,t2] k[b,t2,g,:]. One thread per element of dq. */
    public static void backwardQuery(KernelContext ctx, IntArray off, FloatArray dscores, FloatArray k, int kAt,
                                     FloatArray dq, int batch, int seq, int nh, int nkv, int hd) {
        int id = ctx.globalIdx;
        if (id < batch * seq * nh * hd) {
            int ok = off.get(kAt);
            int d = id % hd, h = (id / hd) % nh, bt = id / (hd * nh);
            int t = bt % seq, b = bt / seq;
            int g = h / (nh / nkv);
            int po = ((b * nh + h) * seq + t) * seq;
            float acc = 0f;
            for (int t2 = 0; t2 <= t; t2++) acc += dscores.get(po + t2) * k.get(ok + ((b * seq + t2) * nkv + g) * hd + d);
            dq.set(id, acc);
        }
    }

    /**
     * dk[b,t2,g,:] = sum over the group's heads and t >= t2 of dscores[b,h,t,t2] q[b,t,h,:];
     * dv[b,t2,g,:] the same with probs and dout. One thread per element of dk (and dv).
     */
    public static void backwardKeyValue(KernelContext ctx, IntArray off, FloatArray dscores, FloatArray probs, int probsAt,
                                        FloatArray q, int qAt, FloatArray dout, FloatArray dk, FloatArray dv,
                                        int batch, int seq, int nh, int nkv, int hd) {
        int id = ctx.globalIdx;
        if (id < batch * seq * nkv * hd) {
            int op = off.get(probsAt), oq = off.get(qAt);
            int d = id % hd, g = (id / hd) % nkv, bt = id / (hd * nkv);
            int t2 = bt % seq, b = bt / seq;
            int group = nh / nkv;
            float ak = 0f, av = 0f;
            for (int h = g * group; h < (g + 1) * group; h++) {
                for (int t = t2; t < seq; t++) {
                    int p = ((b * nh + h) * seq + t) * seq + t2;
                    int qo = ((b * seq + t) * nh + h) * hd + d;
                    ak += dscores.get(p) * q.get(oq + qo);
                    av += probs.get(op + p) * dout.get(qo);
                }
            }
            dk.set(id, ak);
            dv.set(id, av);
        }
    }
}
