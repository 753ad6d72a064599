package minitron4j.tornado;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A parameter pool (or its gradient) as device arrays: the model-wide tensors one array each, and
 * each per-layer kind stacked over the layers, [L, ...] in HF's [out, in] layout, so that one layer
 * graph serves every layer (see {@link Offsets}). With tied embeddings lmHead is the embedding array.
 */
public final class StackedParameters {
    final NemotronConfig config;
    final FloatArray embed;      // [V,H]
    final FloatArray lmHead;     // [V,H], the same array as embed when tied
    final FloatArray normW, normB;        // [H]
    final FloatArray inW, inB;            // [L,H] input_layernorm
    final FloatArray q;                   // [L, nh*hd, H]
    final FloatArray k, v;                // [L, nkv*hd, H]
    final FloatArray o;                   // [L, H, nh*hd]
    final FloatArray postW, postB;        // [L,H] post_attention_layernorm
    final FloatArray up;                  // [L, F, H]
    final FloatArray down;                // [L, H, F]

    private StackedParameters(NemotronConfig c) {
        this.config = c;
        int h = c.hiddenSize(), layers = c.numHiddenLayers(), f = c.intermediateSize();
        embed = new FloatArray(c.vocabSize() * h);
        lmHead = c.tieWordEmbeddings() ? embed : new FloatArray(c.vocabSize() * h);
        normW = new FloatArray(h);
        normB = new FloatArray(h);
        inW = new FloatArray(layers * h);
        inB = new FloatArray(layers * h);
        q = new FloatArray(layers * c.qDim() * h);
        k = new FloatArray(layers * c.kvDim() * h);
        v = new FloatArray(layers * c.kvDim() * h);
        o = new FloatArray(layers * h * c.qDim());
        postW = new FloatArray(layers * h);
        postB = new FloatArray(layers * h);
        up = new FloatArray(layers * f * h);
        down = new FloatArray(layers * h * f);
    }

    /** Zeros shaped like the model's parameters (a gradient pool). */
    public static StackedParameters zeros(NemotronConfig c) {
        StackedParameters s = new StackedParameters(c);
        for (FloatArray a : s.arrays()) a.init(0f);
        return s;
    }

    /** A copy of the parameters in the stacked layout. */
    public static StackedParameters of(Parameters p) {
        StackedParameters s = new StackedParameters(p.config());
        s.copyFrom(p);
        return s;
    }

    /** Adds this pool into p tensor by tensor (gradients back into the host pool). */
    public void addTo(Parameters p) {
        forEachPair(p, (stacked, offset, tensor) -> {
            for (int i = 0; i < tensor.length; i++) tensor[i] += stacked.get(offset + i);
        });
    }

    /** Overwrites p's tensors with this pool's values. */
    public void copyTo(Parameters p) {
        forEachPair(p, (stacked, offset, tensor) -> {
            for (int i = 0; i < tensor.length; i++) tensor[i] = stacked.get(offset + i);
        });
    }

    /** Overwrites this pool's values with p's tensors. */
    public void copyFrom(Parameters p) {
        forEachPair(p, (stacked, offset, tensor) -> {
            for (int i = 0; i < tensor.length; i++) stacked.set(offset + i, tensor[i]);
        });
    }

    /** Every distinct array (the tied lm_head is listed once). */
    public List<FloatArray> arrays() {
        List<FloatArray> all = new ArrayList<>(List.of(embed, normW, normB, inW, inB, q, k, v, o, postW, postB, up, down));
        if (lmHead != embed) all.add(lmHead);
        return all;
    }

    /**
     * Whether AdamW decays each of {@link #arrays()}, asked of decays by the HF name of the array's
     * tensors (layer 0's for a stacked kind: every layer's tensors of a kind share the answer).
     */
    public List<Boolean> decays(Predicate<String> decays) {
        String l0 = Parameters.layerPrefix(0);
        List<String> names = new ArrayList<>(List.of(Parameters.EMBED, Parameters.NORM_W, Parameters.NORM_B,
                l0 + "input_layernorm.weight", l0 + "input_layernorm.bias", l0 + "self_attn.q_proj.weight",
                l0 + "self_attn.k_proj.weight", l0 + "self_attn.v_proj.weight", l0 + "self_attn.o_proj.weight",
                l0 + "post_attention_layernorm.weight", l0 + "post_attention_layernorm.bias", l0 + "mlp.up_proj.weight",
                l0 + "mlp.down_proj.weight"));
        if (lmHead != embed) names.add(Parameters.LM_HEAD);
        return names.stream().map(decays::test).toList();
    }

    private interface Pair {
        void accept(FloatArray stacked, int offset, float[] tensor);
    }

    private void forEachPair(Parameters p, Pair pair) {
        NemotronConfig c = config;
        int h = c.hiddenSize(), f = c.intermediateSize();
        pair.accept(embed, 0, p.embedding());
        if (!c.tieWordEmbeddings()) pair.accept(lmHead, 0, p.data(Parameters.LM_HEAD));
        pair.accept(normW, 0, p.data(Parameters.NORM_W));
        pair.accept(normB, 0, p.data(Parameters.NORM_B));
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            Parameters.Layer w = p.layer(l);
            pair.accept(inW, l * h, w.inNormW());
            pair.accept(inB, l * h, w.inNormB());
            pair.accept(q, l * c.qDim() * h, w.q());
            pair.accept(k, l * c.kvDim() * h, w.k());
            pair.accept(v, l * c.kvDim() * h, w.v());
            pair.accept(o, l * h * c.qDim(), w.o());
            pair.accept(postW, l * h, w.postNormW());
            pair.accept(postB, l * h, w.postNormB());
            pair.accept(up, l * f * h, w.up());
            pair.accept(down, l * h * f, w.down());
        }
    }
}
