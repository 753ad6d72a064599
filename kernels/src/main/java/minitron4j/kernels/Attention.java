package minitron4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention with softmax in fp32, as HF's eager path computes it:
 * out = softmax(q k^T / sqrt(hd) + causal mask) v. Query head h reads KV head h / (nh / nkv).
 *
 * <p>Layouts: q and out are [B, Tq, nh, hd]; k and v hold positions [0, Tk) of each batch row at
 * {@code b * kvBatchStride + t * nkv * hd + g * hd} (a training batch [B, T, nkv, hd], or a KV cache
 * [B, maxT, nkv, hd]). Query tq sits at position qPos0 + tq and sees keys 0..qPos0 + tq.
 * {@code lengths[b]} (nullable) is the number of real tokens of row b (right padding): keys at or
 * beyond it are masked, and a query beyond it sees the row's real keys, as HF's causal and
 * padding masks leave it (its output is what HF gives at a padded position, which QA's softmax over
 * positions reads); a row without real tokens gives zeros.
 *
 * <p>Each (batch row, head) runs as products of the packed {@link Gemm} over blocks of
 * {@link #ROWS} query rows: scores = Q K^T for the keys the block's last row sees, the masked
 * softmax row by row, then out = P V (and in the backward dP = dOut V^T, dS = P (dP - rowsum(P dP)),
 * dQ += dS K, dK += dS^T Q, dV += P^T dOut). A product reads the head's rows in place through its
 * leading dimension (nh*hd for q, nkv*hd for k and v). One dot product per (query, key) pair, as
 * {@link AttentionReference} computes, pays a horizontal reduction for every hd multiply-adds; the
 * products keep the vector lanes busy instead, which is what long sequences need.
 */
public final class Attention {
    /**
     * Query rows per block: bounds the score scratch to ROWS x Tk floats when the probabilities are
     * not kept, and lets the block skip the keys beyond its last row (half the causal square, less a
     * block's triangle). On the 2-core machine 128 rows made a CE step of the demo teacher 1.04-1.05x
     * faster than 64 at [4,512] (larger products for the packed sgemm) and the same at [16,128];
     * 32 was 0.94x, 256 no better than 128.
     */
    static final int ROWS = 128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    private Attention() {}

    public record Shape(int batch, int tq, int nh, int nkv, int hd, int qPos0, int kvBatchStride) {
        int tk() {
            return qPos0 + tq;
        }
    }

    /** probs [B, nh, Tq, Tk] is saved for the backward pass when not null. */
    public static void forward(float[] out, float[] probs, float[] q, float[] k, float[] v, int[] lengths, Shape s) {
        int nh = s.nh(), hd = s.hd(), group = nh / s.nkv(), tk = s.tk(), qStride = nh * hd, kvStride = s.nkv() * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(s.batch() * nh, item -> {
            int b = item / nh, h = item % nh, kvo = b * s.kvBatchStride() + (h / group) * hd;
            int lastKey = lastKey(lengths, b), queries = lastKey < 0 ? 0 : s.tq();
            // without saved probs, one block of scores [ROWS, Tk] at a time
            float[] scratch = probs == null ? new float[Math.min(ROWS, Math.max(1, queries)) * tk] : null;
            for (int t0 = 0; t0 < queries; t0 += ROWS) {
                int rows = Math.min(ROWS, queries - t0), keys = Math.min(s.qPos0() + t0 + rows, lastKey + 1);
                float[] p = probs == null ? scratch : probs;
                int po = probs == null ? 0 : ((b * nh + h) * s.tq() + t0) * tk, ldp = probs == null ? keys : tk;
                int qo = (b * s.tq() + t0) * qStride + h * hd;
                // scores[rows, keys] = Q[rows, hd] K[keys, hd]^T
                Gemm.sgemm(false, true, rows, keys, hd, q, qo, qStride, k, kvo, kvStride, 0f, p, po, ldp);
                for (int r = 0; r < rows; r++) softmaxRow(p, po + r * ldp, Math.min(s.qPos0() + t0 + r, lastKey), keys, scale);
                // out[rows, hd] = P[rows, keys] V[keys, hd]
                Gemm.sgemm(false, false, rows, hd, keys, p, po, ldp, v, kvo, kvStride, 0f, out, qo, qStride);
                if (probs != null)
                    for (int r = 0; r < rows; r++) java.util.Arrays.fill(probs, po + r * tk + keys, po + r * tk + tk, 0f);
            }
            for (int t = queries; t < s.tq(); t++) {
                int qo = (b * s.tq() + t) * qStride + h * hd;
                java.util.Arrays.fill(out, qo, qo + hd, 0f);
                if (probs != null) {
                    int ro = ((b * nh + h) * s.tq() + t) * tk;
                    java.util.Arrays.fill(probs, ro, ro + tk, 0f);
                }
            }
        });
    }

    /**
     * dq [B,Tq,nh,hd], dk and dv (same layout as k, v) += gradients, from dout [B,Tq,nh,hd] and the
     * probs the forward saved. Parallel over (batch, KV head) so no two threads write the same dk/dv.
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs,
                                float[] q, float[] k, float[] v, Shape s) {
        int nh = s.nh(), hd = s.hd(), group = nh / s.nkv(), tk = s.tk(), qStride = nh * hd, kvStride = s.nkv() * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(s.batch() * s.nkv(), item -> {
            int b = item / s.nkv(), g = item % s.nkv(), kvo = b * s.kvBatchStride() + g * hd;
            float[] ds = new float[Math.min(ROWS, s.tq()) * tk];
            for (int h = g * group; h < (g + 1) * group; h++) {
                for (int t0 = 0; t0 < s.tq(); t0 += ROWS) {
                    int rows = Math.min(ROWS, s.tq() - t0), keys = s.qPos0() + t0 + rows;
                    int po = ((b * nh + h) * s.tq() + t0) * tk, qo = (b * s.tq() + t0) * qStride + h * hd;
                    // dV[keys, hd] += P^T dOut; dP[rows, keys] = dOut V^T
                    Gemm.sgemm(true, false, keys, hd, rows, probs, po, tk, dout, qo, qStride, 1f, dv, kvo, kvStride);
                    Gemm.sgemm(false, true, rows, keys, hd, dout, qo, qStride, v, kvo, kvStride, 0f, ds, 0, keys);
                    for (int r = 0; r < rows; r++) softmaxBackwardRow(ds, r * keys, probs, po + r * tk, keys, scale);
                    // dQ[rows, hd] += dS K; dK[keys, hd] += dS^T Q
                    Gemm.sgemm(false, false, rows, hd, keys, ds, 0, keys, k, kvo, kvStride, 1f, dq, qo, qStride);
                    Gemm.sgemm(true, false, keys, hd, rows, ds, 0, keys, q, qo, qStride, 1f, dk, kvo, kvStride);
                }
            }
        });
    }

    /** The last key position a query of row b may see beside the causal limit: the row's last real token (-1 for none). */
    static int lastKey(int[] lengths, int b) {
        return lengths == null ? Integer.MAX_VALUE - 1 : lengths[b] - 1;
    }

    /** p[o, o+keys) holds the raw scores of the query at pos: becomes the softmax of scale*scores over keys 0..pos, 0 after. */
    private static void softmaxRow(float[] p, int o, int pos, int keys, float scale) {
        VectorMath.scale(p, o, pos + 1, scale);
        float max = VectorMath.max(p, o, pos + 1);
        VectorMath.scale(p, o, pos + 1, 1f / VectorMath.expInPlace(p, o, pos + 1, max));
        java.util.Arrays.fill(p, o + pos + 1, o + keys, 0f);
    }

    /** ds[o, o+keys) holds dP of one query: becomes dS = P (dP - sum(P dP)) * scale (0 where P is masked). */
    private static void softmaxBackwardRow(float[] ds, int o, float[] probs, int po, int keys, float scale) {
        float dot = VectorMath.dot(probs, po, ds, o, keys);
        int j = 0;
        for (; j <= keys - W; j += W) {
            FloatVector.fromArray(F, ds, o + j).sub(dot).mul(FloatVector.fromArray(F, probs, po + j)).mul(scale).intoArray(ds, o + j);
        }
        for (; j < keys; j++) ds[o + j] = probs[po + j] * (ds[o + j] - dot) * scale;
    }
}
