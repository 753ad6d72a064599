package minitron4j.tornado;

import minitron4j.model.Architecture;
import minitron4j.model.LayerTensor;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A parameter pool (or its gradient) as device arrays: the model-wide tensors one array each, and
 * each per-layer kind stacked over the layers, [L, ...] in HF's [out, in] layout, so that one layer
 * graph serves every layer (see {@link Offsets}). The head is the config's class's
 * ({@link Architecture}): lm_head (the embedding array itself when tied), score or qa_outputs, with
 * its bias where the class has one; the base model has none.
 */
public final class StackedParameters {
    final NemotronConfig config;
    final FloatArray embed;      // [V,H]
    final FloatArray head;       // [K,H] lm_head (the embed array when tied), score or qa_outputs; null for the base model
    final FloatArray headBias;   // [K] score.bias or qa_outputs.bias; null where the class has none
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
        // a tied lm_head is the embedding array itself; the base model has no head
        head = headWeight(c) != null ? new FloatArray(c.headOutputs() * h) : c.headOutputs() > 0 ? embed : null;
        headBias = c.architecture().headBias() == null ? null : new FloatArray(c.headOutputs());
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

    /** The array that stacks one kind of layer tensor over the layers. */
    FloatArray stacked(LayerTensor t) {
        return switch (t) {
            case Q_PROJ -> q;
            case K_PROJ -> k;
            case V_PROJ -> v;
            case O_PROJ -> o;
            case UP_PROJ -> up;
            case DOWN_PROJ -> down;
            case INPUT_NORM_WEIGHT -> inW;
            case INPUT_NORM_BIAS -> inB;
            case POST_NORM_WEIGHT -> postW;
            case POST_NORM_BIAS -> postB;
        };
    }

    /**
     * Every distinct array (the tied lm_head is listed once): the model-wide ones, the stacks in
     * {@link LayerTensor}'s order, then the head's weight and bias where they are arrays of their own.
     */
    public List<FloatArray> arrays() {
        List<FloatArray> all = new ArrayList<>(List.of(embed, normW, normB));
        for (LayerTensor t : LayerTensor.values()) all.add(stacked(t));
        if (headWeight(config) != null) all.add(head);
        if (headBias != null) all.add(headBias);
        return all;
    }

    /**
     * Whether AdamW decays each of {@link #arrays()}, asked of decays by the HF name of the array's
     * tensors (layer 0's for a stacked kind: every layer's tensors of a kind share the answer).
     */
    public List<Boolean> decays(Predicate<String> decays) {
        List<String> names = new ArrayList<>(List.of(Parameters.EMBED, Parameters.NORM_W, Parameters.NORM_B));
        for (LayerTensor t : LayerTensor.values()) names.add(t.name(0));
        if (headWeight(config) != null) names.add(headWeight(config));
        if (headBias != null) names.add(config.architecture().headBias());
        return names.stream().map(decays::test).toList();
    }

    private interface Pair {
        void accept(FloatArray stacked, int offset, float[] tensor);
    }

    private void forEachPair(Parameters p, Pair pair) {
        NemotronConfig c = config;
        pair.accept(embed, 0, p.embedding());
        if (headWeight(c) != null) pair.accept(head, 0, p.data(headWeight(c)));
        if (headBias != null) pair.accept(headBias, 0, p.data(c.architecture().headBias()));
        pair.accept(normW, 0, p.data(Parameters.NORM_W));
        pair.accept(normB, 0, p.data(Parameters.NORM_B));
        for (int l = 0; l < c.numHiddenLayers(); l++)
            for (LayerTensor t : LayerTensor.values()) pair.accept(stacked(t), l * t.numel(c), p.data(t.name(l)));
    }

    /**
     * The name of the head's weight where it is a tensor of its own (as {@link Parameters#expectedShapes}
     * lists it); null for a tied lm_head and for the base model.
     */
    private static String headWeight(NemotronConfig c) {
        return c.headMatrixParameters() > 0 ? c.architecture().headWeight() : null;
    }
}
