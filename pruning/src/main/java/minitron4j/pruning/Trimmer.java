package minitron4j.pruning;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts a model's parameters down to a {@link PruningPlan}. Every tensor is a fresh copy; the source
 * is not touched. Shapes in HF's [out, in] convention:
 * <ul>
 *   <li>hidden channels (one index set): embedding and lm_head columns, every LayerNorm1P weight and
 *       bias (final norm too), q/k/v/up input columns, o/down output rows;</li>
 *   <li>heads: the kept heads' row blocks of q_proj and column blocks of o_proj; k/v row blocks only
 *       with plain multi-head attention (with GQA every KV group stays);</li>
 *   <li>neurons: rows of up_proj, columns of down_proj;</li>
 *   <li>layers: the kept ones, renumbered 0..l-1.</li>
 * </ul>
 * head_dim never changes. A plan's head folds replace a kept head's o_proj column block by
 * 2 W_o[:,kept] - W_o[:,pruned] (our weight-space reading of P1's "residual information").
 */
public final class Trimmer {
    private Trimmer() {}

    public static Parameters apply(Parameters src, PruningPlan plan) {
        NemotronConfig c = src.config();
        if (!c.equals(plan.source()))
            throw new IllegalArgumentException("the plan was made for another config than these parameters'");
        NemotronConfig out = plan.prunedConfig();
        int hd = c.headDim();
        int[] hidden = plan.embedding();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put(Parameters.EMBED, gather(src.get(Parameters.EMBED), range(c.vocabSize()), hidden));
        for (int i = 0; i < plan.layers().length; i++) {
            String from = Parameters.layerPrefix(plan.layers()[i]), to = Parameters.layerPrefix(i);
            int[] headRows = channels(plan.heads()[i], hd);
            int[] kvRows = PruningPlan.mha(c) ? headRows : range(c.kvDim());
            int[] neurons = plan.neurons()[i];
            put(t, src, from, to, "self_attn.q_proj.weight", headRows, hidden);
            put(t, src, from, to, "self_attn.k_proj.weight", kvRows, hidden);
            put(t, src, from, to, "self_attn.v_proj.weight", kvRows, hidden);
            Tensor o = foldHeads(src.get(from + "self_attn.o_proj.weight"), plan.folds().get(i), hd);
            t.put(to + "self_attn.o_proj.weight", gather(o, hidden, headRows).renamed(to + "self_attn.o_proj.weight"));
            put(t, src, from, to, "mlp.up_proj.weight", neurons, hidden);
            put(t, src, from, to, "mlp.down_proj.weight", hidden, neurons);
            for (String norm : new String[]{"input_layernorm", "post_attention_layernorm"})
                for (String part : new String[]{".weight", ".bias"})
                    t.put(to + norm + part, gather(src.get(from + norm + part), hidden).renamed(to + norm + part));
        }
        t.put(Parameters.NORM_W, gather(src.get(Parameters.NORM_W), hidden));
        t.put(Parameters.NORM_B, gather(src.get(Parameters.NORM_B), hidden));
        if (!c.tieWordEmbeddings()) t.put(Parameters.LM_HEAD, gather(src.get(Parameters.LM_HEAD), range(c.vocabSize()), hidden));
        return Parameters.of(out, t, "pruned model");
    }

    /**
     * The model without some layers, sharing the kept layers' tensors with the source (no copy): for
     * scoring a model with a layer skipped. Writing to the result writes to the source.
     */
    static Parameters keepLayersShared(Parameters src, int[] layers) {
        NemotronConfig c = src.config();
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Tensor x : src.tensors()) if (!x.name().startsWith("model.layers.")) t.put(x.name(), x);
        for (int i = 0; i < layers.length; i++) {
            String from = Parameters.layerPrefix(layers[i]), to = Parameters.layerPrefix(i);
            for (Tensor x : src.tensors())
                if (x.name().startsWith(from)) {
                    String name = to + x.name().substring(from.length());
                    t.put(name, x.renamed(name));
                }
        }
        NemotronConfig out = c.withShape(c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.intermediateSize(), layers.length);
        return Parameters.of(out, t, "model without some layers");
    }

    private static void put(Map<String, Tensor> t, Parameters src, String from, String to, String name, int[] rows, int[] cols) {
        t.put(to + name, gather(src.get(from + name), rows, cols).renamed(to + name));
    }

    /** o_proj with each fold applied to a copy: column block of kept = 2 * block(kept) - block(pruned). */
    private static Tensor foldHeads(Tensor o, List<PruningPlan.HeadFold> folds, int hd) {
        if (folds.isEmpty()) return o;
        Tensor f = o.copy();
        int rows = o.dim(0), cols = o.dim(1);
        float[] s = o.data(), d = f.data();
        for (PruningPlan.HeadFold fold : folds)
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < hd; j++)
                    d[r * cols + fold.kept() * hd + j] = 2 * s[r * cols + fold.kept() * hd + j] - s[r * cols + fold.pruned() * hd + j];
        return f;
    }

    /** The selected rows and columns of a matrix. */
    private static Tensor gather(Tensor m, int[] rows, int[] cols) {
        int in = m.dim(1);
        float[] s = m.data(), d = new float[rows.length * cols.length];
        for (int r = 0; r < rows.length; r++) {
            int base = rows[r] * in, out = r * cols.length;
            for (int j = 0; j < cols.length; j++) d[out + j] = s[base + cols[j]];
        }
        return new Tensor(m.name(), new int[]{rows.length, cols.length}, d);
    }

    private static Tensor gather(Tensor v, int[] idx) {
        float[] s = v.data(), d = new float[idx.length];
        for (int i = 0; i < idx.length; i++) d[i] = s[idx[i]];
        return new Tensor(v.name(), new int[]{idx.length}, d);
    }

    /** Channel indices of whole heads: head h covers h*hd .. h*hd+hd-1. */
    private static int[] channels(int[] heads, int hd) {
        int[] c = new int[heads.length * hd];
        for (int i = 0; i < heads.length; i++) for (int j = 0; j < hd; j++) c[i * hd + j] = heads[i] * hd + j;
        return c;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
