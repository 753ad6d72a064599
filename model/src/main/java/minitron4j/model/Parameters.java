package minitron4j.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameter pool of a Nemotron model: one fp32 tensor per Hugging Face tensor name, in HF order.
 * The gradient pool is another instance with the same names and shapes. With tied embeddings there
 * is no {@code lm_head.weight}: the embedding table serves both uses (and its gradient holds both).
 */
public final class Parameters {
    public static final String EMBED = "model.embed_tokens.weight";
    public static final String NORM_W = "model.norm.weight";
    public static final String NORM_B = "model.norm.bias";
    public static final String LM_HEAD = "lm_head.weight";

    private final NemotronConfig config;
    private final LinkedHashMap<String, Tensor> tensors;

    private Parameters(NemotronConfig config, LinkedHashMap<String, Tensor> tensors) {
        this.config = config;
        this.tensors = tensors;
    }

    /** Names and shapes a checkpoint of this config holds, in HF order. */
    public static LinkedHashMap<String, int[]> expectedShapes(NemotronConfig c) {
        LinkedHashMap<String, int[]> m = new LinkedHashMap<>();
        int h = c.hiddenSize();
        m.put(EMBED, new int[]{c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = layerPrefix(i);
            m.put(p + "self_attn.q_proj.weight", new int[]{c.qDim(), h});
            m.put(p + "self_attn.k_proj.weight", new int[]{c.kvDim(), h});
            m.put(p + "self_attn.v_proj.weight", new int[]{c.kvDim(), h});
            m.put(p + "self_attn.o_proj.weight", new int[]{h, c.qDim()});
            m.put(p + "mlp.up_proj.weight", new int[]{c.intermediateSize(), h});
            m.put(p + "mlp.down_proj.weight", new int[]{h, c.intermediateSize()});
            m.put(p + "input_layernorm.weight", new int[]{h});
            m.put(p + "input_layernorm.bias", new int[]{h});
            m.put(p + "post_attention_layernorm.weight", new int[]{h});
            m.put(p + "post_attention_layernorm.bias", new int[]{h});
        }
        m.put(NORM_W, new int[]{h});
        m.put(NORM_B, new int[]{h});
        if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new int[]{c.vocabSize(), h});
        return m;
    }

    public static String layerPrefix(int layer) {
        return "model.layers." + layer + ".";
    }

    public static Parameters zeros(NemotronConfig c) {
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        expectedShapes(c).forEach((n, s) -> t.put(n, Tensor.zeros(n, s)));
        return new Parameters(c, t);
    }

    /**
     * HF's initialisation: projections and embeddings N(0, initializer_range), LayerNorm1P weights
     * and biases 0 (so the effective scale 1 + w is 1). Deterministic for a seed.
     */
    public static Parameters initialize(NemotronConfig c, long seed) {
        Parameters p = zeros(c);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Tensor t : p.tensors.values()) {
            if (isNorm(t.name())) continue;
            SplittableRandom r = rnd.split();
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) d[i] = (float) (gaussian(r) * c.initializerRange());
        }
        return p;
    }

    /** Wraps loaded tensors, checking that exactly the expected names with the expected shapes are there. */
    public static Parameters of(NemotronConfig c, Map<String, Tensor> loaded, String source) {
        LinkedHashMap<String, int[]> expected = expectedShapes(c);
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor x = loaded.get(e.getKey());
            if (x == null) throw new ModelFormatException(source + ": tensor " + e.getKey() + " is missing");
            if (!java.util.Arrays.equals(x.shape(), e.getValue()))
                throw new ModelFormatException(source + ": tensor " + e.getKey() + " has shape " + x.shapeString()
                        + " but config.json implies " + java.util.Arrays.toString(e.getValue()));
            t.put(e.getKey(), x);
        }
        for (String name : loaded.keySet()) {
            if (expected.containsKey(name)) continue;
            if (name.equals(LM_HEAD) && c.tieWordEmbeddings()) continue; // some tied checkpoints store it anyway
            if (name.endsWith("rotary_emb.inv_freq")) continue;            // old checkpoints store the rope buffer
            throw new ModelFormatException(source + ": unexpected tensor " + name + " (not part of a Nemotron model"
                    + " with this config.json)");
        }
        return new Parameters(c, t);
    }

    static boolean isNorm(String name) {
        return name.contains("layernorm") || name.startsWith("model.norm.");
    }

    /** Whether AdamW applies weight decay to this tensor by default (not to norms and biases). */
    public static boolean decays(String name) {
        return !isNorm(name) && !name.endsWith(".bias");
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    public NemotronConfig config() {
        return config;
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor " + name);
        return t;
    }

    public float[] data(String name) {
        return get(name).data();
    }

    public Collection<Tensor> tensors() {
        return tensors.values();
    }

    public Map<String, Tensor> asMap() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public float[] embedding() {
        return data(EMBED);
    }

    /** The output projection: lm_head, or the embedding table when tied. */
    public float[] lmHead() {
        return config.tieWordEmbeddings() ? data(EMBED) : data(LM_HEAD);
    }

    public Layer layer(int i) {
        String p = layerPrefix(i);
        return new Layer(data(p + "input_layernorm.weight"), data(p + "input_layernorm.bias"),
                data(p + "self_attn.q_proj.weight"), data(p + "self_attn.k_proj.weight"),
                data(p + "self_attn.v_proj.weight"), data(p + "self_attn.o_proj.weight"),
                data(p + "post_attention_layernorm.weight"), data(p + "post_attention_layernorm.bias"),
                data(p + "mlp.up_proj.weight"), data(p + "mlp.down_proj.weight"));
    }

    public long count() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.size();
        return n;
    }

    public Parameters copy() {
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        tensors.forEach((n, x) -> t.put(n, x.copy()));
        return new Parameters(config, t);
    }

    /** Copies every tensor of source, a pool of the same names and shapes, into this one. */
    public void copyFrom(Parameters source) {
        if (source == this) return;
        for (Tensor t : tensors.values()) {
            Tensor from = source.get(t.name());
            if (from.size() != t.size())
                throw new IllegalArgumentException(t.name() + ": " + from.shapeString() + " cannot fill " + t.shapeString());
            System.arraycopy(from.data(), 0, t.data(), 0, t.size());
        }
    }

    public void zero() {
        for (Tensor t : tensors.values()) java.util.Arrays.fill(t.data(), 0f);
    }

    /** The views of one decoder layer; shapes in HF's [out, in] convention. */
    public record Layer(float[] inNormW, float[] inNormB,  // [H]
                        float[] q, float[] k, float[] v,    // [nh*hd, H], [nkv*hd, H], [nkv*hd, H]
                        float[] o,                          // [H, nh*hd]
                        float[] postNormW, float[] postNormB, // [H]
                        float[] up, float[] down) {          // [F, H], [H, F]
    }
}
