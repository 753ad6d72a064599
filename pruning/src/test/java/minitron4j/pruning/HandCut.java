package minitron4j.pruning;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a pruned model written out element by element from the definitions of
 * NEMOTRON.md section 3, independently of {@link Trimmer}: the oracle the trimmed and exported
 * models are compared with.
 */
final class HandCut {
    private HandCut() {}

    static Parameters cut(Parameters src, NemotronConfig to, int[] e, int[] layers, int[][] heads, int[][] neurons) {
        NemotronConfig c = src.config();
        int hd = c.headDim(), h = c.hiddenSize(), v = c.vocabSize();
        boolean mha = c.numKeyValueHeads() == c.numAttentionHeads();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put(Parameters.EMBED, matrix(Parameters.EMBED, v, e.length, (r, j) -> src.data(Parameters.EMBED)[r * h + e[j]]));
        for (int i = 0; i < layers.length; i++) {
            Parameters.Layer w = src.layer(layers[i]);
            String p = Parameters.layerPrefix(i);
            int[] hs = heads[i], ns = neurons[i];
            int nq = hs.length * hd, nkv = mha ? nq : c.kvDim();
            t.put(p + "self_attn.q_proj.weight", matrix(p + "q", nq, e.length,
                    (r, j) -> w.q()[(hs[r / hd] * hd + r % hd) * h + e[j]]));
            t.put(p + "self_attn.k_proj.weight", matrix(p + "k", nkv, e.length,
                    (r, j) -> w.k()[(mha ? hs[r / hd] * hd + r % hd : r) * h + e[j]]));
            t.put(p + "self_attn.v_proj.weight", matrix(p + "v", nkv, e.length,
                    (r, j) -> w.v()[(mha ? hs[r / hd] * hd + r % hd : r) * h + e[j]]));
            t.put(p + "self_attn.o_proj.weight", matrix(p + "o", e.length, nq,
                    (r, j) -> w.o()[e[r] * c.qDim() + hs[j / hd] * hd + j % hd]));
            t.put(p + "mlp.up_proj.weight", matrix(p + "up", ns.length, e.length, (r, j) -> w.up()[ns[r] * h + e[j]]));
            t.put(p + "mlp.down_proj.weight", matrix(p + "down", e.length, ns.length,
                    (r, j) -> w.down()[e[r] * c.intermediateSize() + ns[j]]));
            t.put(p + "input_layernorm.weight", vector(w.inNormW(), e));
            t.put(p + "input_layernorm.bias", vector(w.inNormB(), e));
            t.put(p + "post_attention_layernorm.weight", vector(w.postNormW(), e));
            t.put(p + "post_attention_layernorm.bias", vector(w.postNormB(), e));
        }
        t.put(Parameters.NORM_W, vector(src.data(Parameters.NORM_W), e));
        t.put(Parameters.NORM_B, vector(src.data(Parameters.NORM_B), e));
        String head = c.architecture().headWeight(), bias = c.architecture().headBias();
        int k = c.headOutputs();
        if (head != null && c.headMatrixParameters() > 0)
            t.put(head, matrix(head, k, e.length, (r, j) -> src.data(head)[r * h + e[j]]));
        if (bias != null) t.put(bias, vector(src.data(bias), java.util.stream.IntStream.range(0, k).toArray()));
        Map<String, Tensor> named = new LinkedHashMap<>();
        t.forEach((name, x) -> named.put(name, x.renamed(name)));
        return Parameters.of(to, named, "hand cut");
    }

    interface Element {
        float at(int row, int col);
    }

    static Tensor matrix(String name, int rows, int cols, Element f) {
        float[] d = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) d[r * cols + j] = f.at(r, j);
        return new Tensor(name, new int[]{rows, cols}, d);
    }

    static Tensor vector(float[] src, int[] idx) {
        float[] d = new float[idx.length];
        for (int j = 0; j < idx.length; j++) d[j] = src[idx[j]];
        return new Tensor("v", new int[]{idx.length}, d);
    }
}
