package minitron4j.model;

import minitron4j.kernels.HalfMath;
import minitron4j.kernels.WeightMatrix;

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
 *
 * <p>A pool opened {@linkplain #asStored as stored} keeps its bf16/f16 matrices in the checkpoint's own
 * bytes (off the heap, never widened) and only the small vectors in fp32: the forward pass reads them through
 * {@link #matrix}; anything that needs fp32 arrays ({@link #data}, {@link #tensors}, training) is
 * refused with a message that says so, and {@link #toF32} decodes a trainable copy.
 */
public final class Parameters implements TensorRows {
    public static final String EMBED = "model.embed_tokens.weight";
    public static final String NORM_W = "model.norm.weight";
    public static final String NORM_B = "model.norm.bias";
    public static final String LM_HEAD = "lm_head.weight";

    private final NemotronConfig config;
    private final LinkedHashMap<String, Tensor> tensors;
    /** Matrices kept in their stored 16-bit bytes (empty for an fp32 pool); disjoint from tensors. */
    private final LinkedHashMap<String, WeightMatrix.Half> stored;

    private Parameters(NemotronConfig config, LinkedHashMap<String, Tensor> tensors) {
        this(config, tensors, new LinkedHashMap<>());
    }

    private Parameters(NemotronConfig config, LinkedHashMap<String, Tensor> tensors,
                       LinkedHashMap<String, WeightMatrix.Half> stored) {
        this.config = config;
        this.tensors = tensors;
        this.stored = stored;
    }

    /** Names and shapes a checkpoint of this config holds, in HF order. */
    public static LinkedHashMap<String, int[]> expectedShapes(NemotronConfig c) {
        LinkedHashMap<String, int[]> m = new LinkedHashMap<>();
        int h = c.hiddenSize();
        m.put(EMBED, new int[]{c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++)
            for (LayerTensor t : LayerTensor.values()) m.put(t.name(i), t.shape(c));
        m.put(NORM_W, new int[]{h});
        m.put(NORM_B, new int[]{h});
        Architecture a = c.architecture();
        if (a.headWeight() != null && c.headMatrixParameters() > 0) m.put(a.headWeight(), new int[]{c.headOutputs(), h});
        if (a.headBias() != null) m.put(a.headBias(), new int[]{c.headOutputs()});
        return m;
    }

    /** {@link #expectedShapes} under the names a checkpoint of the config's class gives them ({@link Architecture#fileKey}). */
    public static LinkedHashMap<String, int[]> fileShapes(NemotronConfig c) {
        LinkedHashMap<String, int[]> m = new LinkedHashMap<>();
        expectedShapes(c).forEach((name, shape) -> m.put(c.architecture().fileKey(name), shape));
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
     * HF's initialisation: projections, heads and embeddings N(0, initializer_range), LayerNorm1P
     * weights and biases 0 (so the effective scale 1 + w is 1), head biases 0. Deterministic for a
     * seed; the trunk's values do not depend on the class (a head comes after it in the stream).
     */
    public static Parameters initialize(NemotronConfig c, long seed) {
        Parameters p = zeros(c);
        Map<String, SplittableRandom> generators = initGenerators(c, seed);
        for (Tensor t : p.tensors.values()) {
            SplittableRandom r = generators.get(t.name());
            if (r != null) fillNormal(r, c.initializerRange(), t.data(), 0, t.size());
        }
        return p;
    }

    /**
     * The random stream each tensor of {@link #initialize} draws from, in HF order; norms (which start
     * at 0) have none. A tensor's values are the next normals of its stream, row after row, so a writer
     * that streams the tensors ({@code init}) produces exactly {@link #initialize}'s values.
     */
    public static Map<String, SplittableRandom> initGenerators(NemotronConfig c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        LinkedHashMap<String, SplittableRandom> m = new LinkedHashMap<>();
        for (String name : expectedShapes(c).keySet()) if (!startsAtZero(name)) m.put(name, rnd.split());
        return m;
    }

    /** dst[off..off+n) = the next n draws of N(0, std^2) from r. */
    public static void fillNormal(SplittableRandom r, double std, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) dst[off + i] = (float) (gaussian(r) * std);
    }

    /** Wraps loaded tensors, checking that exactly the expected names with the expected shapes are there. */
    public static Parameters of(NemotronConfig c, Map<String, Tensor> loaded, String source) {
        return asStored(c, loaded, Map.of(), source);
    }

    /**
     * A pool whose matrices stay as stored: {@code halves} holds the 16-bit matrices (their stored bytes),
     * {@code floats} every other tensor in fp32. Together they must hold exactly the config's tensors
     * with the config's shapes.
     */
    public static Parameters asStored(NemotronConfig c, Map<String, Tensor> floats, Map<String, WeightMatrix.Half> halves,
                                      String source) {
        LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();
        floats.forEach((n, t) -> shapes.put(n, t.shape()));
        halves.forEach((n, m) -> shapes.put(n, new int[]{m.rows(), m.cols()}));
        checkNames(c, expectedShapes(c), shapes, source);
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        LinkedHashMap<String, WeightMatrix.Half> h = new LinkedHashMap<>();
        for (String name : expectedShapes(c).keySet()) {
            if (halves.containsKey(name)) h.put(name, halves.get(name));
            else t.put(name, floats.get(name));
        }
        return new Parameters(c, t, h);
    }

    /**
     * Checks the tensors a file holds (name -> shape, under the file's names: see {@link #fileShapes})
     * against the config: every expected tensor with its shape, nothing unexpected (but a tied model's
     * stored lm_head and old rope buffers).
     */
    public static void checkTable(NemotronConfig c, Map<String, int[]> found, String source) {
        checkNames(c, fileShapes(c), found, source);
    }

    private static void checkNames(NemotronConfig c, LinkedHashMap<String, int[]> expected, Map<String, int[]> found, String source) {
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            int[] shape = found.get(e.getKey());
            if (shape == null) throw new ModelFormatException(source + ": tensor " + e.getKey() + " is missing");
            if (!java.util.Arrays.equals(shape, e.getValue()))
                throw new ModelFormatException(source + ": tensor " + e.getKey() + " has shape " + java.util.Arrays.toString(shape)
                        + " but config.json implies " + java.util.Arrays.toString(e.getValue()));
        }
        for (String name : found.keySet()) {
            if (expected.containsKey(name)) continue;
            if (name.equals(LM_HEAD) && c.tieWordEmbeddings() && c.architecture() == Architecture.CAUSAL_LM)
                continue; // some tied checkpoints store it anyway
            if (name.endsWith("rotary_emb.inv_freq")) continue;            // old checkpoints store the rope buffer
            throw new ModelFormatException(source + ": unexpected tensor " + name + " (not part of a "
                    + c.architecture().hfName() + " with this config.json" + prefixHint(c, name) + ")");
        }
    }

    /** Why a trunk tensor may be unexpected: the file names it with another class's prefix. */
    private static String prefixHint(NemotronConfig c, String name) {
        String prefix = c.architecture().basePrefix();
        for (Architecture a : Architecture.values())
            if (!a.basePrefix().equals(prefix) && !a.basePrefix().isEmpty() && name.startsWith(a.basePrefix()))
                return "; this class names its base model's tensors " + (prefix.isEmpty() ? "without a prefix" : prefix + "*")
                        + ", as HF does, and this file names them " + a.basePrefix() + "*";
        return "";
    }

    /** Tensors HF initialises to zero: LayerNorm1P weights and biases, and the heads' biases. */
    static boolean startsAtZero(String name) {
        return isNorm(name) || name.endsWith(".bias");
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

    @Override
    public NemotronConfig config() {
        return config;
    }

    @Override
    public void readRow(String name, int row, float[] dst) {
        WeightMatrix.Half h = stored.get(name);
        if (h != null) {
            h.decodeRow(row, 0, h.cols(), dst, 0);
            return;
        }
        Tensor t = get(name);
        int cols = Tensor.rowLength(t.shape());
        System.arraycopy(t.data(), row * cols, dst, 0, cols);
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            if (stored.containsKey(name)) throw storedNotF32(name);
            throw new IllegalArgumentException("no tensor " + name);
        }
        return t;
    }

    private IllegalStateException storedNotF32(String name) {
        return new IllegalStateException("tensor " + name + " is kept as stored " + stored.get(name).format()
                + " (off the heap, as the checkpoint holds it); this needs fp32 weights: load the model with Checkpoint.load, or toF32()");
    }

    /** Whether some matrices are kept in their stored 16-bit bytes rather than fp32. */
    public boolean isAsStored() {
        return !stored.isEmpty();
    }

    /** A weight matrix [out, in] as the kernels read it: fp32, or the stored 16-bit bytes. */
    public WeightMatrix matrix(String name) {
        WeightMatrix.Half h = stored.get(name);
        if (h != null) return h;
        Tensor t = get(name);
        if (t.shape().length != 2) throw new IllegalArgumentException(name + " is not a matrix: shape " + t.shapeString());
        return WeightMatrix.of(t.data(), t.dim(0), t.dim(1));
    }

    /**
     * The first entry, in HF tensor order, that is NaN or infinite, as "name[index] = value" (a
     * stored matrix's value decoded); null when every entry is finite. Vectorised: it reads each byte
     * of the weights once.
     */
    public String firstNonFinite() {
        for (String name : names()) {
            WeightMatrix.Half h = stored.get(name);
            String bad;
            if (h != null) {
                long i = HalfMath.firstNonFinite(h.bytes(), 0, h.format(), (long) h.rows() * h.cols());
                float[] value = new float[1];
                if (i >= 0) h.decodeRow((int) (i / h.cols()), (int) (i % h.cols()), 1, value, 0);
                bad = i < 0 ? null : name + "[" + i + "] = " + value[0];
            } else {
                bad = get(name).firstNonFinite();
            }
            if (bad != null) return bad;
        }
        return null;
    }

    /** Whether tensor name is a matrix kept in its stored 16-bit bytes. */
    public boolean isStored(String name) {
        return stored.containsKey(name);
    }

    /** The shape of a tensor, wherever it is kept. */
    @Override
    public int[] shape(String name) {
        WeightMatrix.Half h = stored.get(name);
        return h != null ? new int[]{h.rows(), h.cols()} : get(name).shape().clone();
    }

    /**
     * The model with only the given layers (renumbered 0..n-1), sharing their tensors with this pool,
     * fp32 or stored (no copy): for scoring a model with a layer skipped. Writing to the result
     * writes to this pool.
     */
    public Parameters keepLayersShared(int[] layers) {
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        LinkedHashMap<String, WeightMatrix.Half> h = new LinkedHashMap<>();
        for (String name : names()) {
            String to = name;
            if (name.startsWith("model.layers.")) {
                to = null;
                for (int i = 0; i < layers.length; i++) {
                    String from = layerPrefix(layers[i]);
                    if (name.startsWith(from)) to = layerPrefix(i) + name.substring(from.length());
                }
                if (to == null) continue;
            }
            if (stored.containsKey(name)) h.put(to, stored.get(name));
            else t.put(to, tensors.get(name).renamed(to));
        }
        NemotronConfig c = config.withShape(config.hiddenSize(), config.numAttentionHeads(), config.numKeyValueHeads(),
                config.intermediateSize(), layers.length);
        return asStored(c, t, h, "model without some layers");
    }

    /**
     * This model's trunk under another model-card class's head (config c: same trunk shape): the
     * trunk's fp32 tensors shared, the head's copied where this pool has the same tensor with the same
     * shape (the same class and labels), else initialised as HF does (normal(0, initializer_range),
     * biases 0) from seed. What HF's {@code AutoModelFor...from_pretrained} does with a checkpoint of
     * another class: load the base model, initialise the head.
     */
    public Parameters withHead(NemotronConfig c, long seed) {
        requireF32();
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (Map.Entry<String, int[]> e : expectedShapes(c).entrySet()) {
            String name = e.getKey();
            Tensor own = tensors.get(name);
            if (own != null && java.util.Arrays.equals(own.shape(), e.getValue())) {
                t.put(name, Architecture.isHead(name) ? own.copy() : own);
                continue;
            }
            if (!Architecture.isHead(name))
                throw new IllegalArgumentException("trunk tensor " + name + " " + java.util.Arrays.toString(e.getValue())
                        + " is not in this model (a different shape?)");
            Tensor fresh = Tensor.zeros(name, e.getValue());
            if (!startsAtZero(name)) fillNormal(r.split(), c.initializerRange(), fresh.data(), 0, fresh.size());
            t.put(name, fresh);
        }
        return new Parameters(c, t);
    }

    /** This pool with every tensor in fp32 on the heap (stored matrices decoded; fp32 ones shared). */
    public Parameters toF32() {
        if (stored.isEmpty()) return this;
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        for (String name : names()) {
            WeightMatrix.Half h = stored.get(name);
            if (h == null) {
                t.put(name, tensors.get(name));
                continue;
            }
            Tensor x = Tensor.zeros(name, h.rows(), h.cols());
            for (int r = 0; r < h.rows(); r++) h.decodeRow(r, 0, h.cols(), x.data(), r * h.cols());
            t.put(name, x);
        }
        return new Parameters(config, t);
    }

    public float[] data(String name) {
        return get(name).data();
    }

    /** The fp32 tensors; refused for a pool with stored matrices (see {@link #toF32}). */
    public Collection<Tensor> tensors() {
        requireF32();
        return tensors.values();
    }

    public Map<String, Tensor> asMap() {
        requireF32();
        return java.util.Collections.unmodifiableMap(tensors);
    }

    private void requireF32() {
        if (!stored.isEmpty()) throw storedNotF32(stored.keySet().iterator().next());
    }

    /** Every tensor name, in HF order. */
    public List<String> names() {
        return new ArrayList<>(expectedShapes(config).keySet().stream()
                .filter(n -> tensors.containsKey(n) || stored.containsKey(n)).toList());
    }

    public float[] embedding() {
        return data(EMBED);
    }

    /**
     * The name of the head's weight [outputs, H]: lm_head (the embedding table when tied), score or
     * qa_outputs; null for the base model.
     */
    public String headWeightName() {
        Architecture a = config.architecture();
        if (a == Architecture.CAUSAL_LM && config.tieWordEmbeddings()) return EMBED;
        return a.headWeight();
    }

    /** The head's weight as the kernels read it (fp32 or stored). */
    public WeightMatrix headMatrix() {
        return matrix(headWeightName());
    }

    /** The head's bias [outputs] (token classification, QA); null where the class has none. */
    public float[] headBias() {
        String b = config.architecture().headBias();
        return b == null ? null : data(b);
    }

    /** The matrices of one decoder layer as the forward pass reads them (fp32 or stored); norms in fp32. */
    public LayerWeights layerWeights(int i) {
        return new LayerWeights(data(LayerTensor.INPUT_NORM_WEIGHT.name(i)), data(LayerTensor.INPUT_NORM_BIAS.name(i)),
                matrix(LayerTensor.Q_PROJ.name(i)), matrix(LayerTensor.K_PROJ.name(i)),
                matrix(LayerTensor.V_PROJ.name(i)), matrix(LayerTensor.O_PROJ.name(i)),
                data(LayerTensor.POST_NORM_WEIGHT.name(i)), data(LayerTensor.POST_NORM_BIAS.name(i)),
                matrix(LayerTensor.UP_PROJ.name(i)), matrix(LayerTensor.DOWN_PROJ.name(i)));
    }

    public Layer layer(int i) {
        return new Layer(data(LayerTensor.INPUT_NORM_WEIGHT.name(i)), data(LayerTensor.INPUT_NORM_BIAS.name(i)),
                data(LayerTensor.Q_PROJ.name(i)), data(LayerTensor.K_PROJ.name(i)),
                data(LayerTensor.V_PROJ.name(i)), data(LayerTensor.O_PROJ.name(i)),
                data(LayerTensor.POST_NORM_WEIGHT.name(i)), data(LayerTensor.POST_NORM_BIAS.name(i)),
                data(LayerTensor.UP_PROJ.name(i)), data(LayerTensor.DOWN_PROJ.name(i)));
    }

    public long count() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.size();
        for (WeightMatrix.Half h : stored.values()) n += (long) h.rows() * h.cols();
        return n;
    }

    public Parameters copy() {
        requireF32();
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

    /** {@link Layer} as the forward pass reads it: the matrices fp32 or stored, the norms fp32. */
    public record LayerWeights(float[] inNormW, float[] inNormB,           // [H]
                               WeightMatrix q, WeightMatrix k, WeightMatrix v, // [nh*hd, H], [nkv*hd, H], [nkv*hd, H]
                               WeightMatrix o,                             // [H, nh*hd]
                               float[] postNormW, float[] postNormB,       // [H]
                               WeightMatrix up, WeightMatrix down) {       // [F, H], [H, F]
    }
}
