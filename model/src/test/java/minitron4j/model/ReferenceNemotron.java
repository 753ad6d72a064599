package minitron4j.model;

/**
 * A test-only, plain double-precision forward of the Nemotron network, written straight from the
 * HF definition without the production kernels: the oracle for finite-difference gradient checks
 * and for the fast forward pass.
 */
final class ReferenceNemotron {
    private ReferenceNemotron() {}

    /**
     * The head's outputs [N, K] in double: lm_head for the causal LM, score or qa_outputs (plus bias)
     * for the task heads, after the token-classification dropout when the batch's tags carry a key.
     */
    static double[] logits(Parameters p, Batch batch) {
        NemotronConfig c = p.config();
        int N = batch.tokens(), H = c.hiddenSize(), K = c.headOutputs();
        double[] f = lastHidden(p, batch);
        if (batch.targets() instanceof HeadTargets.TokenTags t && t.dropoutKey() != null) {
            double keep = 1 - c.classifierDropout();
            for (int i = 0; i < f.length; i++) f[i] = Dropout.kept(t.dropoutKey(), i, c.classifierDropout()) ? f[i] / keep : 0;
        }
        double[] out = linear(f, p.data(p.headWeightName()), N, H, K);
        float[] bias = p.headBias();
        if (bias != null) for (int i = 0; i < N; i++) for (int j = 0; j < K; j++) out[i * K + j] += bias[j];
        return out;
    }

    /** HF's last_hidden_state [N, H]: the final LayerNorm1P's output, in double. */
    static double[] lastHidden(Parameters p, Batch batch) {
        NemotronConfig c = p.config();
        int B = batch.batch(), T = batch.seq(), H = c.hiddenSize(), N = B * T;
        double[] x = new double[N * H];
        float[] emb = p.embedding();
        for (int i = 0; i < N; i++) for (int j = 0; j < H; j++) x[i * H + j] = emb[batch.ids()[i] * H + j];
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            Parameters.Layer w = p.layer(l);
            double[] a = norm(x, w.inNormW(), w.inNormB(), N, H, c.normEps());
            double[] q = linear(a, w.q(), N, H, c.qDim());
            double[] k = linear(a, w.k(), N, H, c.kvDim());
            double[] v = linear(a, w.v(), N, H, c.kvDim());
            rope(q, c, B, T, c.numAttentionHeads());
            rope(k, c, B, T, c.numKeyValueHeads());
            double[] att = attention(q, k, v, c, batch);
            double[] o = linear(att, w.o(), N, c.qDim(), H);
            for (int i = 0; i < N * H; i++) x[i] += o[i];
            double[] m = norm(x, w.postNormW(), w.postNormB(), N, H, c.normEps());
            double[] up = linear(m, w.up(), N, H, c.intermediateSize());
            for (int i = 0; i < up.length; i++) up[i] = Math.max(up[i], 0) * Math.max(up[i], 0);
            double[] down = linear(up, w.down(), N, c.intermediateSize(), H);
            for (int i = 0; i < N * H; i++) x[i] += down[i];
        }
        return norm(x, p.data(Parameters.NORM_W), p.data(Parameters.NORM_B), N, H, c.normEps());
    }

    /** HF's causal-LM loss: mean next-token CE over the real predicted positions. */
    static double crossEntropy(Parameters p, Batch batch) {
        double[] lg = logits(p, batch);
        int V = p.config().vocabSize();
        int[] y = batch.nextTokenTargets();
        double sum = 0;
        int count = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] < 0) continue;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < V; j++) max = Math.max(max, lg[i * V + j]);
            double s = 0;
            for (int j = 0; j < V; j++) s += Math.exp(lg[i * V + j] - max);
            sum += max + Math.log(s) - lg[i * V + y[i]];
            count++;
        }
        return sum / count;
    }

    static double[] norm(double[] x, float[] w, float[] b, int n, int h, double eps) {
        double[] y = new double[n * h];
        for (int i = 0; i < n; i++) {
            double m = 0, v = 0;
            for (int j = 0; j < h; j++) m += x[i * h + j];
            m /= h;
            for (int j = 0; j < h; j++) v += (x[i * h + j] - m) * (x[i * h + j] - m);
            v /= h;
            double r = 1 / Math.sqrt(v + eps);
            for (int j = 0; j < h; j++) y[i * h + j] = (x[i * h + j] - m) * r * (1 + w[j]) + b[j];
        }
        return y;
    }

    static double[] linear(double[] x, float[] w, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int j = 0; j < in; j++) s += x[i * in + j] * w[o * in + j];
                y[i * out + o] = s;
            }
        return y;
    }

    static void rope(double[] x, NemotronConfig c, int B, int T, int heads) {
        int hd = c.headDim(), r = c.rotaryDim(), half = r / 2;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < heads; h++) {
                    int base = ((b * T + t) * heads + h) * hd;
                    for (int j = 0; j < half; j++) {
                        double ang = t * Math.pow(c.ropeTheta(), -2.0 * j / r);
                        double a = x[base + j], bb = x[base + j + half];
                        x[base + j] = a * Math.cos(ang) - bb * Math.sin(ang);
                        x[base + j + half] = bb * Math.cos(ang) + a * Math.sin(ang);
                    }
                }
    }

    static double[] attention(double[] q, double[] k, double[] v, NemotronConfig c, Batch batch) {
        int B = batch.batch(), T = batch.seq(), nh = c.numAttentionHeads(), nkv = c.numKeyValueHeads(), hd = c.headDim();
        double[] out = new double[B * T * nh * hd];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < nh; h++) {
                int g = h / (nh / nkv);
                // HF's causal and padding masks: query t sees keys 0..t that are real, so a padded query sees the whole row
                int len = batch.length(b);
                for (int t = 0; t < (len == 0 ? 0 : T); t++) {
                    int last = Math.min(t, len - 1);
                    double[] s = new double[last + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= last; u++) {
                        double d = 0;
                        for (int j = 0; j < hd; j++)
                            d += q[((b * T + t) * nh + h) * hd + j] * k[((b * T + u) * nkv + g) * hd + j];
                        s[u] = d / Math.sqrt(hd);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= last; u++) sum += (s[u] = Math.exp(s[u] - max));
                    for (int u = 0; u <= last; u++)
                        for (int j = 0; j < hd; j++)
                            out[((b * T + t) * nh + h) * hd + j] += s[u] / sum * v[((b * T + u) * nkv + g) * hd + j];
                }
            }
        return out;
    }
}
