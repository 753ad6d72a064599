package minitron4j.kernels;

import java.util.Arrays;

/**
 * The plain twin of {@link Attention}: one query row at a time, one dot product per (query, key)
 * pair. Same contract, same layouts:
 *
 * <p>Causal grouped-query attention with softmax in fp32, as HF's eager path computes it:
 * out = softmax(q k^T / sqrt(hd) + causal mask) v. Query head h reads KV head h / (nh / nkv).
 *
 * <p>Layouts: q and out are [B, Tq, nh, hd]; k and v hold positions [0, Tk) of each batch row at
 * {@code b * kvBatchStride + t * nkv * hd + g * hd} (a training batch [B, T, nkv, hd], or a KV cache
 * [B, maxT, nkv, hd]). Query tq sits at position qPos0 + tq and sees keys 0..qPos0 + tq.
 * {@code lengths[b]} (nullable) is the number of real tokens of row b (right padding): keys at or
 * beyond it are masked, and a query beyond it sees the row's real keys (HF's masks); a row without
 * real tokens gives zeros.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** probs [B, nh, Tq, Tk] is saved for the backward pass when not null. */
    public static void forward(float[] out, float[] probs, float[] q, float[] k, float[] v, int[] lengths, Attention.Shape s) {
        int nh = s.nh(), hd = s.hd(), group = nh / s.nkv(), tk = s.tk(), qStride = nh * hd, kvStride = s.nkv() * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(s.batch() * nh, item -> {
            int b = item / nh, h = item % nh, g = h / group;
            int lastKey = Attention.lastKey(lengths, b);
            float[] p = probs == null ? new float[tk] : null;
            for (int t = 0; t < s.tq(); t++) {
                int pos = s.qPos0() + t;
                int qo = (b * s.tq() + t) * qStride + h * hd;
                float[] row = probs == null ? p : probs;
                int ro = probs == null ? 0 : ((b * nh + h) * s.tq() + t) * tk;
                if (probs != null) Arrays.fill(probs, ro, ro + tk, 0f);
                if (lastKey < 0) {
                    Arrays.fill(out, qo, qo + hd, 0f);
                    continue;
                }
                int last = Math.min(pos, lastKey); // causal, and no padded key
                float max = Float.NEGATIVE_INFINITY;
                for (int t2 = 0; t2 <= last; t2++) {
                    float sc = VectorMath.dot(q, qo, k, b * s.kvBatchStride() + t2 * kvStride + g * hd, hd) * scale;
                    row[ro + t2] = sc;
                    max = Math.max(max, sc);
                }
                float sum = 0f;
                for (int t2 = 0; t2 <= last; t2++) {
                    float e = (float) Math.exp(row[ro + t2] - max);
                    row[ro + t2] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                Arrays.fill(out, qo, qo + hd, 0f);
                for (int t2 = 0; t2 <= last; t2++) {
                    float w = row[ro + t2] * inv;
                    row[ro + t2] = w;
                    VectorMath.axpy(w, v, b * s.kvBatchStride() + t2 * kvStride + g * hd, out, qo, hd);
                }
                if (probs == null) Arrays.fill(p, 0, last + 1, 0f);
            }
        });
    }

    /**
     * dq [B,Tq,nh,hd], dk and dv (same layout as k, v) += gradients, from dout [B,Tq,nh,hd] and the
     * probs the forward saved. Parallel over (batch, KV head) so no two threads write the same dk/dv.
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs,
                                float[] q, float[] k, float[] v, Attention.Shape s) {
        int nh = s.nh(), hd = s.hd(), group = nh / s.nkv(), tk = s.tk(), qStride = nh * hd, kvStride = s.nkv() * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(s.batch() * s.nkv(), item -> {
            int b = item / s.nkv(), g = item % s.nkv();
            float[] dp = new float[tk];
            for (int h = g * group; h < (g + 1) * group; h++) {
                for (int t = 0; t < s.tq(); t++) {
                    int last = s.qPos0() + t;
                    int qo = (b * s.tq() + t) * qStride + h * hd;
                    int ro = ((b * nh + h) * s.tq() + t) * tk;
                    float dot = 0f;
                    for (int t2 = 0; t2 <= last; t2++) {
                        float p = probs[ro + t2];
                        if (p == 0f) {
                            dp[t2] = 0f;
                            continue;
                        }
                        int kvo = b * s.kvBatchStride() + t2 * kvStride + g * hd;
                        dp[t2] = VectorMath.dot(dout, qo, v, kvo, hd);
                        VectorMath.axpy(p, dout, qo, dv, kvo, hd);
                        dot += p * dp[t2];
                    }
                    for (int t2 = 0; t2 <= last; t2++) {
                        float p = probs[ro + t2];
                        if (p == 0f) continue;
                        float ds = p * (dp[t2] - dot) * scale;
                        int kvo = b * s.kvBatchStride() + t2 * kvStride + g * hd;
                        VectorMath.axpy(ds, k, kvo, dq, qo, hd);
                        VectorMath.axpy(ds, q, qo, dk, kvo, hd);
                    }
                }
            }
        });
    }
}
