package minitron4j.tornado;

import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.Dropout;
import minitron4j.model.ForwardObserver;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Tensor;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.HeadLoss;
import minitron4j.model.loss.LayerPair;
import minitron4j.tornado.GemmVariant.Product;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.function.Predicate;

import static minitron4j.tornado.GemmVariant.Product.AB;
import static minitron4j.tornado.GemmVariant.Product.AT_B;
import static minitron4j.tornado.GemmVariant.Product.X_WT;

/**
 * The Nemotron forward and backward passes at one batch shape [B, T] as TornadoVM task graphs in
 * one execution plan, built once and replayed; the same op sequence as
 * {@link minitron4j.model.Nemotron}:
 * <pre>
 * INPUT       ids, lengths (and a token classifier's dropout scales) in; on the first run the
 *             weights and tables too, and every shared buffer allocated (graph 0 of the plan)
 * EMBED       ids -> x[0]
 * LAYER  xL   x[l] -> LN1P -> q,k,v -> RoPE -> attention -> o_proj (+x[l]) = h
 *             h -> LN1P -> up -> relu^2 -> down (+h) = x[l+1]   (one graph replayed per layer)
 * HEAD        x[L] -> LN1P -> (dropout) -> head (+bias) -> logits [N,K]   (out only when asked;
 *             K = V for lm_head, num_labels or 2 for a task head, none for the base model)
 * CE | KD     logits -> loss, d logits                        (teacher logits in for KD; causal LM only)
 * HEAD_BACK   d logits -> d head (and bias), d final norm, d residual   (a task head's d logits in:
 *             its loss runs on the host, {@link HeadLoss} over the fetched [N,K] outputs)
 * LAYER_BACK  d x[l+1] -> d x[l] and layer l's gradients      (replayed from L-1 down to 0)
 * EMBED_BACK  d x[0] -> d embedding
 * NORM        the global gradient norm and finite flag
 * ZERO        every gradient to 0 (the backward graphs add into the gradients, so that
 *             micro-batches accumulate; the loss graphs scale d logits by the micro-batch's weight)
 * OPTIMIZER   clipping by the norm, AdamW over every parameter (moments kept on the device);
 *             built only for training
 * INTERMEDIATE a distillation's intermediate-state loss: per pair the student's post-norm state
 *             (through its learned projection) against the teacher's, 1 - cos, alpha; d state into
 *             a stack the backward graphs add to their norms' output gradients, d projection
 *             (built only for a distillation with layer pairs)
 * </pre>
 * Every buffer that outlives a graph (weights, saved activations, gradients, d residual) stays
 * on the device: each graph consumes the whole shared set from the graph that ran before it and
 * persists it for the next (a {@link GraphChain}: TornadoVM hands buffers from the previously executed graph), so
 * nothing crosses to the host but the inputs named above and what the caller fetches.
 *
 * <p>A teacher and a student can share one plan ({@link #distillation}): the teacher builds only
 * its forward graphs, both read the same ids, and the student's KD graph reads the teacher's
 * logits on the device, so a distillation step sends only the ids.
 */
final class ModelGraphs implements AutoCloseable {
    /**
     * The graphs of one model, in plan order; a model builds those its use and class need (forward
     * only: the first three; CE and KD for the causal LM; OPTIMIZER for training; INTERMEDIATE for
     * a distillation with layer pairs).
     */
    enum Graph { EMBED, LAYER, HEAD, CE, KD, HEAD_BACK, LAYER_BACK, EMBED_BACK, NORM, ZERO, OPTIMIZER, INTERMEDIATE }

    private static final int INPUT = 0;

    final NemotronConfig config;
    final int batch, seq, n;
    final StackedParameters weights, grads;
    /** AdamW's moments; null unless built for training. */
    final StackedParameters expAvg, expAvgSq;

    // inputs; teacher: host teacher logits for KD, null when the KD reads a resident teacher's
    final IntArray ids, lengths;
    final FloatArray teacher, lossSettings;
    /** Whether only the forward graphs (EMBED, LAYER, HEAD) exist: no gradients, no backward buffers. */
    final boolean forwardOnly;
    /** Whether the head is lm_head (next-token losses on the device) rather than a task head or none. */
    final boolean languageModel;
    /** The teacher logits the KD graph reads: {@link #teacher}, or a resident teacher's logits. */
    private final FloatArray teacherSource;
    // saved activations, stacked over layers (x has L+1 entries: the input of each layer and the last output;
    // lse [L, N, nh]: the attention's logsumexp per query row, all its backward needs besides q, k, v and att)
    final FloatArray x, ln1, ln1Mean, ln1Rstd, q, k, v, lse, att, h, ln2, ln2Mean, ln2Rstd, up, act;
    // logits [N,K] (null for the base model); dlogits: a task head's come from the host and are sent to HEAD_BACK
    final FloatArray lnf, lnfMean, lnfRstd, logits, dlogits;
    /**
     * A token classifier's training graphs: the dropout's scales [N,H] (all 1 outside a training
     * pass, see {@link Dropout#scales}) and the head's input lnf * scales [N,H]; null otherwise.
     */
    final FloatArray headScales, headInput;
    // losses and statistics: the CE's [loss, gradient scale] or the KD's LossKernels.RESULTS, [gradient norm, finite flag]
    final FloatArray lossResult, gradStats;
    // backward scratch of one layer (null in forward-only graphs, as are dlogits, grads and the loss rows);
    // dup [N,F]: d up, the gradient at the MLP's pre-activation; attRowDot [N,nh]: dout . out per attention
    // query row, written with dq and read by dk/dv
    final FloatArray dres, dnorm, dup, datt, attRowDot, dq, dk, dv, partialW, partialB, normPartials;
    // next-token targets and the CE/KD rows: the causal LM's training graphs only
    final IntArray targets;
    final FloatArray rowLse, rowLoss, rowStats;

    private final RopeTables rope;
    private final Offsets forwardOffsets = new Offsets(32), backwardOffsets = new Offsets(32), fixedOffsets = new Offsets(4);
    private final BatchLayerSlots forwardSlots, backwardSlots;
    private final int lastInputSlot;
    private GraphChain chain;
    private KernelContext ctx;
    private final GemmVariant gemmVariant = GemmVariant.selected();
    private GraphPlan plan;
    /** Where each graph this model built sits in the plan. */
    private final EnumMap<Graph, Integer> planIndex = new EnumMap<>(Graph.class);
    private String graphPrefix = "";
    private final FloatArray adamSettings = new FloatArray(OptimizerKernels.SETTINGS);
    private final List<Boolean> decays;
    private boolean gradientsDirty;
    /** A distillation's intermediate-state pairs on the device (empty without), and what they share. */
    final List<DevicePair> pairs;
    /** [(L+1), N, H]: d L_is / d post-norm state k at slice k, added into the norms' output gradients; null without pairs. */
    final FloatArray dhStack;
    /** [L_is, gradient scale, objective with alpha L_is] of the last micro-batch; null without pairs. */
    final FloatArray isResult;
    private final FloatArray isStats;
    private final Offsets isOffsets;
    private final ModelGraphs teacherGraphs;

    /**
     * One intermediate-state pair on the device: the post-norm state indices, and the learned
     * projection [Ht, Hs] (its initial values on the host, named) with its gradient and moments, z = W s [N, Ht] and dz (all null when the
     * widths agree: z is then the student's state itself).
     */
    record DevicePair(int student, int teacher, Tensor initial, FloatArray projection, FloatArray gradient, FloatArray expAvg,
                      FloatArray expAvgSq, FloatArray z, FloatArray dz) {
    }

    /** Graphs for forward and gradient passes (no optimizer), in a plan of their own. */
    ModelGraphs(StackedParameters weights, int batch, int seq) {
        this(weights, batch, seq, null);
    }

    /**
     * With decays (AdamW's weight-decay choice per HF name) also the optimizer graph and the
     * moments; null builds no optimizer. In a plan of their own.
     */
    ModelGraphs(StackedParameters weights, int batch, int seq, Predicate<String> decays) {
        this(weights, batch, seq, decays, false, new IntArray(batch * seq), new IntArray(batch), null, List.of(), null);
        plan(List.of(this));
    }

    /** A teacher (forward only) and a student trained on its logits in one plan; see the class comment. */
    record Distillation(ModelGraphs teacher, ModelGraphs student) {
    }

    /** Forward graphs alone (EMBED, LAYER, HEAD): no gradients or backward buffers on the device. */
    static ModelGraphs forwardOnly(StackedParameters weights, int batch, int seq) {
        ModelGraphs g = new ModelGraphs(weights, batch, seq, null, true, new IntArray(batch * seq), new IntArray(batch), null, List.of(),
                null);
        plan(List.of(g));
        return g;
    }

    /**
     * {@link Distillation} graphs of [batch, seq]; decays as for the student's optimizer. With
     * pairs, the intermediate-state loss too, its projections starting from projections (per
     * pair, null where the widths agree).
     */
    static Distillation distillation(StackedParameters teacher, StackedParameters student, int batch, int seq,
                                     Predicate<String> decays, List<LayerPair> pairs, Tensor[] projections) {
        ModelGraphs t = new ModelGraphs(teacher, batch, seq, null, true, new IntArray(batch * seq), new IntArray(batch), null,
                List.of(), null);
        ModelGraphs s = new ModelGraphs(student, batch, seq, decays, false, t.ids, t.lengths, t.logits,
                devicePairs(pairs, projections, batch * seq, teacher.config.hiddenSize()), t);
        plan(List.of(t, s));
        return new Distillation(t, s);
    }

    /**
     * The buffers of one model. ids and lengths may be another model's (a teacher's); so may the
     * teacher logits the KD graph reads (residentTeacher, null for logits sent from the host).
     */
    private ModelGraphs(StackedParameters weights, int batch, int seq, Predicate<String> decays, boolean forwardOnly,
                        IntArray ids, IntArray lengths, FloatArray residentTeacher, List<DevicePair> pairs, ModelGraphs teacherGraphs) {
        NemotronConfig c = weights.config;
        AttentionKernels.checkHeadDim(c.headDim());
        if (!forwardOnly && c.headOutputs() == 0)
            throw new IllegalArgumentException(c.architecture().hfName() + " has no head outputs: there is no loss to take gradients of");
        this.config = c;
        this.weights = weights;
        this.forwardOnly = forwardOnly;
        this.languageModel = c.architecture() == Architecture.CAUSAL_LM;
        this.grads = forwardOnly ? null : StackedParameters.zeros(c);
        this.pairs = pairs;
        this.teacherGraphs = teacherGraphs;
        if (!pairs.isEmpty() && decays == null) throw new IllegalArgumentException("the intermediate-state loss trains: it needs an optimizer");
        List<Boolean> decayList = decays == null ? null : new ArrayList<>(weights.decays(decays));
        if (decays != null) for (DevicePair p : pairs) if (p.projection() != null) decayList.add(decays.test(p.initial().name()));
        this.decays = decayList;
        this.expAvg = decays == null ? null : StackedParameters.zeros(c);
        this.expAvgSq = decays == null ? null : StackedParameters.zeros(c);
        this.batch = batch;
        this.seq = seq;
        this.n = batch * seq;
        int layers = c.numHiddenLayers(), hs = c.hiddenSize(), f = c.intermediateSize(), nh = c.numAttentionHeads();
        int qd = c.qDim(), kvd = c.kvDim(), vocab = c.vocabSize(), outputs = c.headOutputs();
        this.ids = ids;
        this.lengths = lengths;
        teacher = residentTeacher != null ? null : lossOnly(Math.multiplyExact(n, vocab));
        teacherSource = residentTeacher != null ? residentTeacher : teacher;
        lossSettings = new FloatArray(LossKernels.SETTINGS);
        x = new FloatArray((layers + 1) * n * hs);
        ln1 = new FloatArray(layers * n * hs);
        ln1Mean = new FloatArray(layers * n);
        ln1Rstd = new FloatArray(layers * n);
        q = new FloatArray(layers * n * qd);
        k = new FloatArray(layers * n * kvd);
        v = new FloatArray(layers * n * kvd);
        lse = new FloatArray(layers * n * nh);
        att = new FloatArray(layers * n * qd);
        h = new FloatArray(layers * n * hs);
        ln2 = new FloatArray(layers * n * hs);
        ln2Mean = new FloatArray(layers * n);
        ln2Rstd = new FloatArray(layers * n);
        up = new FloatArray(layers * n * f);
        act = new FloatArray(layers * n * f);
        lnf = new FloatArray(n * hs);
        lnfMean = new FloatArray(n);
        lnfRstd = new FloatArray(n);
        logits = outputs == 0 ? null : new FloatArray(Math.multiplyExact(n, outputs));
        dlogits = backwardOnly(Math.multiplyExact(n, outputs));
        boolean dropout = !forwardOnly && c.architecture() == Architecture.TOKEN_CLASSIFICATION && c.classifierDropout() > 0;
        headScales = dropout ? new FloatArray(n * hs) : null;
        headInput = dropout ? new FloatArray(n * hs) : null;
        lossResult = new FloatArray(LossKernels.RESULTS);
        gradStats = new FloatArray(2);
        dres = backwardOnly(n * hs);
        dnorm = backwardOnly(n * hs);
        dup = backwardOnly(n * f);
        datt = backwardOnly(n * qd);
        attRowDot = backwardOnly(n * nh);
        dq = backwardOnly(n * qd);
        dk = backwardOnly(n * kvd);
        dv = backwardOnly(n * kvd);
        partialW = backwardOnly(LayerNormKernels.CHUNKS * hs);
        partialB = backwardOnly(LayerNormKernels.CHUNKS * hs);
        dhStack = pairs.isEmpty() ? null : new FloatArray((layers + 1) * n * hs);
        isResult = pairs.isEmpty() ? null : new FloatArray(LossKernels.IS_RESULTS);
        isStats = pairs.isEmpty() ? null : new FloatArray(pairs.size() * n * LossKernels.IS_STATS);
        isOffsets = new Offsets(1 + 4 * pairs.size());
        normPartials = forwardOnly ? null : new FloatArray(gradientArrays().size() * OptimizerKernels.GROUPS);
        targets = forwardOnly || !languageModel ? null : new IntArray(n);
        rowLse = lossOnly(n);
        rowStats = lossOnly(n * LossKernels.STATS);
        rowLoss = lossOnly(n);
        rope = new RopeTables(c.rotaryDim(), c.ropeTheta(), c.maxPositionEmbeddings());
        forwardSlots = new BatchLayerSlots(forwardOffsets);
        backwardSlots = new BatchLayerSlots(backwardOffsets);
        lastInputSlot = fixedOffsets.slot();
        fixedOffsets.set(lastInputSlot, layers * n * hs);
    }

    /** A buffer only the loss and backward graphs use: none for forward-only graphs. */
    private FloatArray backwardOnly(int size) {
        return forwardOnly ? null : new FloatArray(size);
    }

    /** A buffer only the CE and KD graphs use: none for forward-only graphs or a task head. */
    private FloatArray lossOnly(int size) {
        return languageModel ? backwardOnly(size) : null;
    }

    /** The buffers that outlive a graph: handed from graph to graph on the device. */
    private List<Object> shared() {
        List<Object> s = new ArrayList<>(List.of(ids, lengths, rope.cos(), rope.sin(), x, ln1, ln1Mean, ln1Rstd, q, k, v, lse,
                att, h, ln2, ln2Mean, ln2Rstd, up, act, lnf, lnfMean, lnfRstd));
        if (logits != null) s.add(logits);
        s.addAll(weightArrays());
        if (forwardOnly) return s;
        if (languageModel) s.add(dlogits); // written by CE or KD on the device (a task head's are sent to HEAD_BACK)
        if (headScales != null) s.addAll(List.of(headScales, headInput));
        s.addAll(List.of(lossResult, gradStats, dres));
        s.addAll(gradientArrays());
        if (expAvg != null) {
            s.addAll(momentArrays(true));
            s.addAll(momentArrays(false));
        }
        if (dhStack != null) s.addAll(List.of(dhStack, isResult));
        return s;
    }

    /**
     * Builds one plan over the models' graphs: INPUT (the models share its ids and lengths; it also
     * sends each model's dropout scales), then each model's graphs; every graph hands on the union
     * of the models' shared buffers.
     */
    private static void plan(List<ModelGraphs> models) {
        List<Object> union = new ArrayList<>();
        for (ModelGraphs m : models)
            for (Object o : m.shared()) if (union.stream().noneMatch(u -> u == o)) union.add(o); // by identity
        GraphChain chain = new GraphChain(union);
        ModelGraphs first = models.getFirst();
        // INPUT sends and allocates every shared buffer (weights and rope tables with their values,
        // the rest zeroed), so that the graphs after it can take them over.
        List<Object> perRun = new ArrayList<>(List.of(first.ids, first.lengths));
        for (ModelGraphs m : models) if (m.headScales != null) perRun.add(m.headScales);
        TaskGraph input = chain.first("input", perRun.toArray());
        chain.allocate(input, first.lengths);
        List<ImmutableTaskGraph> graphs = new ArrayList<>(List.of(chain.close(input)));
        for (ModelGraphs m : models) {
            if (m != models.getLast()) m.graphPrefix = "model" + models.indexOf(m) + "_";
            m.chain = chain;
            m.ctx = chain.ctx;
            m.graphs().forEach((kind, graph) -> {
                m.planIndex.put(kind, graphs.size());
                graphs.add(graph);
            });
        }
        GraphPlan plan = new GraphPlan(graphs, chain.grids);
        for (ModelGraphs m : models) m.plan = plan;
    }

    /** The trained arrays: the weights, then the pairs' projections. */
    List<FloatArray> weightArrays() {
        return withProjections(weights.arrays(), DevicePair::projection);
    }

    /** Their gradients, in the same order. */
    List<FloatArray> gradientArrays() {
        return withProjections(grads.arrays(), DevicePair::gradient);
    }

    /** AdamW's first (or second) moments, in the same order. */
    List<FloatArray> momentArrays(boolean first) {
        return withProjections((first ? expAvg : expAvgSq).arrays(), first ? DevicePair::expAvg : DevicePair::expAvgSq);
    }

    private List<FloatArray> withProjections(List<FloatArray> model, java.util.function.Function<DevicePair, FloatArray> part) {
        List<FloatArray> all = new ArrayList<>(model);
        for (DevicePair p : pairs) if (p.projection() != null) all.add(part.apply(p));
        return all;
    }

    private static List<DevicePair> devicePairs(List<LayerPair> pairs, Tensor[] projections, int n, int teacherHidden) {
        List<DevicePair> device = new ArrayList<>();
        for (int p = 0; p < pairs.size(); p++) {
            Tensor w = projections[p];
            FloatArray value = null, gradient = null, m = null, v = null, z = null, dz = new FloatArray(n * teacherHidden);
            if (w != null) {
                value = FloatArray.fromArray(w.data());
                gradient = zeros(w.size());
                m = zeros(w.size());
                v = zeros(w.size());
                z = new FloatArray(n * teacherHidden);
            }
            device.add(new DevicePair(pairs.get(p).student(), pairs.get(p).teacher(), w, value, gradient, m, v, z, dz));
        }
        return device;
    }

    private static FloatArray zeros(int size) {
        FloatArray a = new FloatArray(size);
        a.init(0f);
        return a;
    }

    /** This model's graphs in plan order (an EnumMap iterates in {@link Graph}'s order). */
    private EnumMap<Graph, ImmutableTaskGraph> graphs() {
        EnumMap<Graph, ImmutableTaskGraph> g = new EnumMap<>(Graph.class);
        g.put(Graph.EMBED, embed());
        g.put(Graph.LAYER, layer());
        g.put(Graph.HEAD, head());
        if (forwardOnly) return g;
        if (languageModel) {
            g.put(Graph.CE, crossEntropy());
            g.put(Graph.KD, distillation());
        }
        g.put(Graph.HEAD_BACK, headBackward());
        g.put(Graph.LAYER_BACK, layerBackward());
        g.put(Graph.EMBED_BACK, embedBackward());
        g.put(Graph.NORM, norm());
        g.put(Graph.ZERO, zero());
        if (expAvg != null) g.put(Graph.OPTIMIZER, optimizer());
        if (!pairs.isEmpty()) g.put(Graph.INTERMEDIATE, intermediateState());
        return g;
    }

    /** The offsets of one layer's slices in the stacked buffers, one slot per kind. */
    private final class BatchLayerSlots {
        final Offsets table;
        // xOut: x[l+1]; nh: [N,H] slices (x[l] included), n1: [N], nq: [N,nh*hd], nkv: [N,nkv*hd],
        // nlse: [N,nh] attention logsumexp rows, nf: [N,F]; wh, wq, wkv, wo, wf: the layer's weights
        final int xOut, nh, n1, nq, nkv, nlse, nf, wh, wq, wkv, wo, wf;

        BatchLayerSlots(Offsets table) {
            this.table = table;
            xOut = table.slot();
            nh = table.slot();
            n1 = table.slot();
            nq = table.slot();
            nkv = table.slot();
            nlse = table.slot();
            nf = table.slot();
            wh = table.slot();
            wq = table.slot();
            wkv = table.slot();
            wo = table.slot();
            wf = table.slot();
        }

        /** Writes layer l's offsets (sent with the layer graph's next run). */
        void select(int l) {
            NemotronConfig c = config;
            int hs = c.hiddenSize(), f = c.intermediateSize();
            table.set(xOut, (l + 1) * n * hs);
            table.set(nh, l * n * hs);
            table.set(n1, l * n);
            table.set(nq, l * n * c.qDim());
            table.set(nkv, l * n * c.kvDim());
            table.set(nlse, l * n * c.numAttentionHeads());
            table.set(nf, l * n * f);
            table.set(wh, l * hs);
            table.set(wq, l * c.qDim() * hs);
            table.set(wkv, l * c.kvDim() * hs);
            table.set(wo, l * hs * c.qDim());
            table.set(wf, l * f * hs);
        }
    }

    // ---------------------------------------------------------------- graph construction

    /** A matmul task of the selected variant, with its grid: out[m,n] (+)= product p of a and b, accumulate 0 or 1. */
    private void gemm(TaskGraph g, String id, Product p, IntArray off, FloatArray a, int aAt, FloatArray b, int bAt, FloatArray out,
                      int outAt, int m, int n, int k, int accumulate) {
        // these epilogues take no extra operand: a stands in (see Epilogue)
        gemm(g, id, p, off, a, aAt, b, bAt, out, outAt, m, n, k, accumulate == 1 ? Epilogue.ACCUMULATE : Epilogue.STORE, a, aAt);
    }

    /**
     * A matmul task of the selected variant, with its grid: out[m,n] = product p of a and b,
     * finished by the epilogue (see {@link GemmVariant#task}).
     */
    private void gemm(TaskGraph g, String id, Product p, IntArray off, FloatArray a, int aAt, FloatArray b, int bAt, FloatArray out,
                      int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
        gemmVariant.task(g, chain.task(g, id, gemmVariant.grid(m, n)), ctx, p, off, a, aAt, b, bAt, out, outAt, m, n, k, epilogue, extra,
                extraAt);
    }

    private ImmutableTaskGraph embed() {
        TaskGraph g = chain.next(name("embed"));
        int hs = config.hiddenSize();
        g.task(chain.task(g, "embedding", Launch.threads(n * hs)), ElementwiseKernels::embeddingForward, ctx, ids, weights.embed, x, n, hs);
        return chain.close(g);
    }

    /** Graph names are unique in a plan: the graphs of a plan's first model get a prefix when a second follows. */
    private String name(String graph) {
        return graphPrefix + graph;
    }

    /** One layer's forward ({@link LayerForward}) over the batch's rows, every activation saved at its layer's slice. */
    private ImmutableTaskGraph layer() {
        NemotronConfig c = config;
        TaskGraph g = chain.next(name("layer"));
        IntArray off = forwardOffsets.array();
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, off);
        BatchLayerSlots s = forwardSlots;
        int nh = c.numAttentionHeads(), nkv = c.numKeyValueHeads(), hd = c.headDim(), ropePairs = c.rotaryDim() / 2;
        // slot 0 is always 0; the layer input x[l] sits at l*N*H = the nh slot's value
        LayerForward.Operands o = new LayerForward.Operands(new LayerForward.At(x, s.nh), new LayerForward.At(ln1, s.nh),
                new LayerForward.At(ln2, s.nh), ln1Mean, ln1Rstd, ln2Mean, ln2Rstd, s.n1, new LayerForward.At(q, s.nq),
                new LayerForward.At(k, s.nkv), new LayerForward.At(v, s.nkv), new LayerForward.At(att, s.nq), new LayerForward.At(h, s.nh),
                new LayerForward.At(up, s.nf), new LayerForward.At(act, s.nf), new LayerForward.At(x, s.xOut));
        LayerForward.build(chain, g, off, weights, new LayerForward.WeightSlots(s.wh, s.wq, s.wkv, s.wo, s.wf), n, o, new LayerForward.Ops() {
            @Override
            public void linear(TaskGraph graph, String id, LayerForward.At in, FloatArray w, int wSlot, LayerForward.At out, int outFeatures,
                               int inFeatures, int epilogue, LayerForward.At extra) {
                gemm(graph, id, X_WT, off, in.buffer(), in.slot(), w, wSlot, out.buffer(), out.slot(), n, outFeatures, inFeatures,
                        epilogue, extra.buffer(), extra.slot());
            }

            @Override
            public void rope(TaskGraph graph, String id, LayerForward.At at, int heads) {
                graph.task(chain.task(graph, id, Launch.threads(n * heads * ropePairs)), ElementwiseKernels::rope, ctx, off, at.buffer(), at.slot(),
                        ModelGraphs.this.rope.cos(), ModelGraphs.this.rope.sin(), Offsets.ZERO, n, heads, hd, ropePairs, seq, 1f);
            }

            @Override
            public void attention(TaskGraph graph) {
                graph.task(chain.task(graph, "attention", Launch.attentionBlocks(batch * nh, seq)), AttentionKernels::forward, ctx, off, q,
                        s.nq, k, v, s.nkv, lengths, lse, s.nlse, att, s.nq, Offsets.ZERO, seq, seq, nh, nkv, hd);
            }
        });
        return chain.close(g);
    }

    private ImmutableTaskGraph head() {
        NemotronConfig c = config;
        TaskGraph g = chain.next(name("head"));
        IntArray off = fixedOffsets.array();
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, off);
        int hs = c.hiddenSize(), z = Offsets.ZERO;
        g.task(chain.task(g, "lnf", Launch.groupPerRow(n)), LayerNormKernels::forward, ctx, off, x, lastInputSlot, weights.normW, z,
                weights.normB, z, lnf, z, lnfMean, lnfRstd, z, hs, (float) c.normEps());
        int outputs = c.headOutputs();
        if (outputs == 0) return chain.close(g); // the base model: its output is the final norm's
        if (headScales != null)
            g.task(chain.task(g, "dropout", Launch.threads(n * hs)), ElementwiseKernels::dropout, ctx, lnf, headScales, headInput, n * hs);
        gemm(g, "head", X_WT, off, headInput(), z, weights.head, z, logits, z, n, outputs, hs, 0);
        if (weights.headBias != null)
            g.task(chain.task(g, "bias", Launch.threads(n * outputs)), ElementwiseKernels::biasForward, ctx, logits, weights.headBias, n,
                    outputs);
        return chain.close(g);
    }

    /** What the head multiplies: the final norm's output, or a token classifier's after its dropout. */
    private FloatArray headInput() {
        return headInput != null ? headInput : lnf;
    }

    private ImmutableTaskGraph crossEntropy() {
        int vocab = config.vocabSize();
        TaskGraph g = chain.next("ce");
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, lossSettings);
        g.task(chain.task(g, "targets", Launch.threads(n)), LossKernels::nextTokenTargets, ctx, ids, lengths, targets, batch, seq);
        g.task(chain.task(g, "rows", Launch.groupPerRow(n)), LossKernels::crossEntropyRows, ctx, logits, targets, rowLse, rowLoss, vocab);
        g.task(chain.task(g, "mean", Launch.oneGroup()), LossKernels::crossEntropyMean, ctx, targets, rowLoss, lossSettings, lossResult, n);
        g.task(chain.task(g, "gradient", Launch.threads(n * vocab)), LossKernels::crossEntropyGradient, ctx, logits, targets, rowLse,
                lossResult, dlogits, n, vocab);
        return chain.close(g);
    }

    private ImmutableTaskGraph distillation() {
        int vocab = config.vocabSize();
        TaskGraph g = chain.next("kd");
        if (teacher != null) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, teacher);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, lossSettings);
        g.task(chain.task(g, "targets", Launch.threads(n)), LossKernels::nextTokenTargets, ctx, ids, lengths, targets, batch, seq);
        g.task(chain.task(g, "rows", Launch.groupPerRow(n)), LossKernels::distillationRows, ctx, logits, teacherSource, lengths, targets,
                lossSettings, rowStats, seq, vocab);
        g.task(chain.task(g, "mean", Launch.oneGroup()), LossKernels::distillationMean, ctx, lengths, targets, rowStats, lossSettings,
                lossResult, batch, seq);
        g.task(chain.task(g, "gradient", Launch.threads(n * vocab)), LossKernels::distillationGradient, ctx, logits, teacherSource, lengths,
                targets, lossSettings, rowStats, lossResult, dlogits, seq, vocab, n);
        return chain.close(g);
    }

    private ImmutableTaskGraph headBackward() {
        NemotronConfig c = config;
        TaskGraph g = chain.next("headBack");
        IntArray off = fixedOffsets.array();
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, off);
        int hs = c.hiddenSize(), outputs = c.headOutputs(), z = Offsets.ZERO;
        if (!languageModel) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, dlogits);
        // with tied embeddings this adds into the embedding gradient, as EMBED_BACK does the lookup's share
        gemm(g, "dHead", AT_B, off, dlogits, z, headInput(), z, grads.head, z, outputs, hs, n, 1);
        if (grads.headBias != null)
            g.task(chain.task(g, "dBias", Launch.threads(outputs)), ElementwiseKernels::biasBackward, ctx, dlogits, grads.headBias, n,
                    outputs);
        gemm(g, "dLnf", AB, off, dlogits, z, weights.head, z, dnorm, z, n, hs, outputs, 0);
        if (headScales != null) // through the dropout: its own scales (d lnf = d head input * scales)
            g.task(chain.task(g, "dDropout", Launch.threads(n * hs)), ElementwiseKernels::dropout, ctx, dnorm, headScales, dnorm, n * hs);
        if (dhStack != null) // the intermediate-state loss's share at the final norm's output (state L)
            g.task(chain.task(g, "isLnf", Launch.threads(n * hs)), ElementwiseKernels::add, ctx, off, dhStack, lastInputSlot, dnorm, z, n * hs);
        g.task(chain.task(g, "lnfInput", Launch.groupPerRow(n)), LayerNormKernels::backwardInput, ctx, off, dnorm, z, x, lastInputSlot,
                lnfMean, lnfRstd, z, weights.normW, z, dres, z, hs, 0);
        g.task(chain.task(g, "lnfPartials", Launch.threads(LayerNormKernels.CHUNKS * hs)), LayerNormKernels::paramGradPartials, ctx, off,
                dnorm, z, x, lastInputSlot, lnfMean, lnfRstd, z, partialW, partialB, n, hs);
        g.task(chain.task(g, "lnfCombine", Launch.threads(hs)), LayerNormKernels::paramGradCombine, ctx, off, partialW, partialB,
                grads.normW, grads.normB, z, hs, 1);
        return chain.close(g);
    }

    private ImmutableTaskGraph layerBackward() {
        NemotronConfig c = config;
        TaskGraph g = chain.next("layerBack");
        IntArray off = backwardOffsets.array();
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, off);
        BatchLayerSlots s = backwardSlots;
        StackedParameters w = weights, gr = grads;
        int hs = c.hiddenSize(), f = c.intermediateSize(), qd = c.qDim(), kvd = c.kvDim(), nh = c.numAttentionHeads(),
                nkv = c.numKeyValueHeads(), hd = c.headDim(), ropePairs = c.rotaryDim() / 2, z = Offsets.ZERO;
        // MLP: x[l+1] = h + down(relu(up(ln2(h)))^2)
        // d up = (d y W_down) * 2 relu(up): the squared ReLU's gradient in the product's epilogue
        gemm(g, "dUpOut", AB, off, dres, z, w.down, s.wf, dup, z, n, f, hs, Epilogue.SQUARED_RELU_GRADIENT, up, s.nf);
        gemm(g, "dDown", AT_B, off, dres, z, act, s.nf, gr.down, s.wf, hs, f, n, 1);
        gemm(g, "dLn2", AB, off, dup, z, w.up, s.wf, dnorm, z, n, hs, f, 0);
        gemm(g, "dUp", AT_B, off, dup, z, ln2, s.nh, gr.up, s.wf, f, hs, n, 1);
        g.task(chain.task(g, "ln2Input", Launch.groupPerRow(n)), LayerNormKernels::backwardInput, ctx, off, dnorm, z, h, s.nh,
                ln2Mean, ln2Rstd, s.n1, w.postW, s.wh, dres, z, hs, 1);
        g.task(chain.task(g, "ln2Partials", Launch.threads(LayerNormKernels.CHUNKS * hs)), LayerNormKernels::paramGradPartials, ctx, off,
                dnorm, z, h, s.nh, ln2Mean, ln2Rstd, s.n1, partialW, partialB, n, hs);
        g.task(chain.task(g, "ln2Combine", Launch.threads(hs)), LayerNormKernels::paramGradCombine, ctx, off, partialW, partialB,
                gr.postW, gr.postB, s.wh, hs, 1);
        // attention: h = x[l] + o(attention(q, k, v))
        gemm(g, "dAtt", AB, off, dres, z, w.o, s.wo, datt, z, n, qd, hs, 0);
        gemm(g, "dO", AT_B, off, dres, z, att, s.nq, gr.o, s.wo, hs, qd, n, 1);
        g.task(chain.task(g, "dQ", Launch.attentionBlocks(batch * nh, seq)), AttentionKernels::backwardQuery, ctx, off, datt, q, s.nq,
                k, v, s.nkv, att, s.nq, lengths, lse, s.nlse, attRowDot, dq, seq, nh, nkv, hd);
        g.task(chain.task(g, "dKV", Launch.attentionBlocks(batch * nkv, seq)), AttentionKernels::backwardKeyValue, ctx, off, datt, q,
                s.nq, k, v, s.nkv, lengths, lse, s.nlse, attRowDot, dk, dv, seq, nh, nkv, hd);
        g.task(chain.task(g, "ropeDq", Launch.threads(n * nh * ropePairs)), ElementwiseKernels::rope, ctx, off, dq, z, rope.cos(), rope.sin(),
                z, n, nh, hd, ropePairs, seq, -1f);
        g.task(chain.task(g, "ropeDk", Launch.threads(n * nkv * ropePairs)), ElementwiseKernels::rope, ctx, off, dk, z, rope.cos(), rope.sin(),
                z, n, nkv, hd, ropePairs, seq, -1f);
        gemm(g, "dLn1Q", AB, off, dq, z, w.q, s.wq, dnorm, z, n, hs, qd, 0);
        gemm(g, "dLn1K", AB, off, dk, z, w.k, s.wkv, dnorm, z, n, hs, kvd, 1);
        gemm(g, "dLn1V", AB, off, dv, z, w.v, s.wkv, dnorm, z, n, hs, kvd, 1);
        if (dhStack != null) // the intermediate-state loss's share at this layer's input norm output (state l, at l*N*H as x[l])
            g.task(chain.task(g, "isLn1", Launch.threads(n * hs)), ElementwiseKernels::add, ctx, off, dhStack, s.nh, dnorm, z, n * hs);
        gemm(g, "dQw", AT_B, off, dq, z, ln1, s.nh, gr.q, s.wq, qd, hs, n, 1);
        gemm(g, "dKw", AT_B, off, dk, z, ln1, s.nh, gr.k, s.wkv, kvd, hs, n, 1);
        gemm(g, "dVw", AT_B, off, dv, z, ln1, s.nh, gr.v, s.wkv, kvd, hs, n, 1);
        g.task(chain.task(g, "ln1Input", Launch.groupPerRow(n)), LayerNormKernels::backwardInput, ctx, off, dnorm, z, x, s.nh,
                ln1Mean, ln1Rstd, s.n1, w.inW, s.wh, dres, z, hs, 1);
        g.task(chain.task(g, "ln1Partials", Launch.threads(LayerNormKernels.CHUNKS * hs)), LayerNormKernels::paramGradPartials, ctx, off,
                dnorm, z, x, s.nh, ln1Mean, ln1Rstd, s.n1, partialW, partialB, n, hs);
        g.task(chain.task(g, "ln1Combine", Launch.threads(hs)), LayerNormKernels::paramGradCombine, ctx, off, partialW, partialB,
                gr.inW, gr.inB, s.wh, hs, 1);
        return chain.close(g);
    }

    private ImmutableTaskGraph embedBackward() {
        TaskGraph g = chain.next("embedBack");
        int hs = config.hiddenSize();
        g.task(chain.task(g, "embedding", Launch.threads(hs)), ElementwiseKernels::embeddingBackward, ctx, ids, dres, grads.embed, n, hs,
                config.hasPadToken() ? config.padTokenId() : -1);
        return chain.close(g);
    }

    private ImmutableTaskGraph norm() {
        TaskGraph g = chain.next("norm");
        List<FloatArray> all = gradientArrays();
        for (int i = 0; i < all.size(); i++)
            g.task(chain.task(g, "norm" + i, Launch.groupPerRow(OptimizerKernels.GROUPS)), OptimizerKernels::sumOfSquaresPartials, ctx,
                    all.get(i), normPartials, all.get(i).getSize(), i);
        g.task(chain.task(g, "normCombine", Launch.oneGroup()), OptimizerKernels::normCombine, ctx, normPartials, gradStats,
                normPartials.getSize());
        return chain.close(g);
    }

    private ImmutableTaskGraph zero() {
        TaskGraph g = chain.next("zero");
        List<FloatArray> all = gradientArrays();
        for (int i = 0; i < all.size(); i++)
            g.task(chain.task(g, "zero" + i, Launch.threads(all.get(i).getSize())), ElementwiseKernels::zero, ctx, all.get(i),
                    all.get(i).getSize());
        return chain.close(g);
    }

    private ImmutableTaskGraph optimizer() {
        TaskGraph g = chain.next("adamw");
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, adamSettings);
        List<FloatArray> params = weightArrays(), gradients = gradientArrays(), m = momentArrays(true), v = momentArrays(false);
        for (int i = 0; i < params.size(); i++) {
            FloatArray p = params.get(i);
            g.task(chain.task(g, "adamw" + i, Launch.threads(p.getSize())), OptimizerKernels::adamW, ctx, p, gradients.get(i), m.get(i),
                    v.get(i), adamSettings, gradStats, p.getSize(), decays.get(i) ? 1 : 0);
        }
        return chain.close(g);
    }

    /**
     * The intermediate-state loss after the distillation graph (which leaves the logit objective
     * in {@link #lossResult}): per pair z = W s (or s), the rows' cosines, then L_is and alpha, then
     * per pair dz, d projection and d s into {@link #dhStack}. The offsets are fixed: slots per
     * pair for its student state, teacher state, stack slice and statistics.
     */
    private ImmutableTaskGraph intermediateState() {
        TaskGraph g = chain.next("is");
        IntArray off = isOffsets.array();
        int hs = config.hiddenSize(), ht = teacherGraphs.config.hiddenSize(), ls = config.numHiddenLayers(),
                lt = teacherGraphs.config.numHiddenLayers(), zeroSlot = Offsets.ZERO, np = pairs.size();
        int[] sSlot = new int[np], tSlot = new int[np], dhSlot = new int[np], statsSlot = new int[np];
        for (int p = 0; p < np; p++) {
            DevicePair pair = pairs.get(p);
            sSlot[p] = isOffsets.slot();
            isOffsets.set(sSlot[p], pair.student() < ls ? pair.student() * n * hs : 0);
            tSlot[p] = isOffsets.slot();
            isOffsets.set(tSlot[p], pair.teacher() < lt ? pair.teacher() * n * ht : 0);
            dhSlot[p] = isOffsets.slot();
            isOffsets.set(dhSlot[p], pair.student() * n * hs);
            statsSlot[p] = isOffsets.slot();
            isOffsets.set(statsSlot[p], p * n * LossKernels.IS_STATS);
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, off);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, lossSettings);
        g.task(chain.task(g, "zeroDh", Launch.threads(dhStack.getSize())), ElementwiseKernels::zero, ctx, dhStack, dhStack.getSize());
        for (int p = 0; p < np; p++) {
            DevicePair pair = pairs.get(p);
            // post-norm state k: the input norm's output of layer k, or the final norm's for k = L
            FloatArray s = pair.student() < ls ? ln1 : lnf, t = pair.teacher() < lt ? teacherGraphs.ln1 : teacherGraphs.lnf;
            FloatArray zs = s;
            int zAt = sSlot[p];
            if (pair.projection() != null) {
                gemm(g, "project" + p, X_WT, off, s, sSlot[p], pair.projection(), zeroSlot, pair.z(), zeroSlot, n, ht, hs, 0);
                zs = pair.z();
                zAt = zeroSlot;
            }
            g.task(chain.task(g, "rows" + p, Launch.groupPerRow(n)), LossKernels::intermediateRows, ctx, off, zs, zAt, t, tSlot[p],
                    lengths, isStats, statsSlot[p], seq, ht);
        }
        g.task(chain.task(g, "mean", Launch.oneGroup()), LossKernels::intermediateMean, ctx, lengths, isStats, lossResult, lossSettings,
                isResult, np, batch, seq);
        for (int p = 0; p < np; p++) {
            DevicePair pair = pairs.get(p);
            FloatArray s = pair.student() < ls ? ln1 : lnf, t = pair.teacher() < lt ? teacherGraphs.ln1 : teacherGraphs.lnf;
            boolean projected = pair.projection() != null;
            g.task(chain.task(g, "dz" + p, Launch.threads(n * ht)), LossKernels::intermediateGradient, ctx, off,
                    projected ? pair.z() : s, projected ? zeroSlot : sSlot[p], t, tSlot[p], lengths, isStats, statsSlot[p], isResult, pair.dz(),
                    n, ht, seq);
            if (projected) {
                gemm(g, "dState" + p, AB, off, pair.dz(), zeroSlot, pair.projection(), zeroSlot, dhStack, dhSlot[p], n, hs, ht, 1);
                gemm(g, "dProjection" + p, AT_B, off, pair.dz(), zeroSlot, s, sSlot[p], pair.gradient(), zeroSlot, ht, hs, n, 1);
            } else {
                g.task(chain.task(g, "dState" + p, Launch.threads(n * hs)), ElementwiseKernels::add, ctx, off, pair.dz(), zeroSlot, dhStack,
                        dhSlot[p], n * hs);
            }
        }
        return chain.close(g);
    }

    // ---------------------------------------------------------------- running

    private TornadoExecutionResult run(Graph graph) {
        Integer at = planIndex.get(graph);
        if (at == null) throw new IllegalStateException(config.architecture().hfName() + (forwardOnly ? " forward-only" : "")
                + " graphs have no " + graph + " graph");
        return plan.run(at);
    }

    /**
     * Sends a batch and runs the forward pass up to the head's outputs, copied to {@link #logits}
     * when asked (the base model has none). dropoutKey: a token classifier's training pass draws
     * its head's dropout mask from it ({@link Dropout#headKey}); null drops nothing.
     */
    void forward(Batch b, Long dropoutKey, boolean fetchLogits) {
        for (int i = 0; i < n; i++) ids.set(i, b.ids()[i]);
        for (int r = 0; r < batch; r++) lengths.set(r, b.lengths() == null ? seq : b.lengths()[r]);
        if (headScales != null) {
            if (dropoutKey == null) headScales.init(1f);
            else headScales.getSegment().copyFrom(MemorySegment.ofArray(dropoutScales(dropoutKey)));
        } else if (dropoutKey != null) {
            throw new IllegalStateException("a dropout key for graphs without the head's dropout (" + config.architecture().hfName()
                    + (forwardOnly ? ", forward only" : "") + ", p = " + config.classifierDropout() + ")");
        }
        plan.run(INPUT);
        run(Graph.EMBED);
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            forwardSlots.select(l);
            run(Graph.LAYER);
        }
        TornadoExecutionResult head = run(Graph.HEAD);
        if (fetchLogits && logits != null) head.transferToHost(logits);
    }

    private float[] dropoutScales(long key) {
        float[] scales = new float[headScales.getSize()];
        Dropout.scales(scales, scales.length, config.classifierDropout(), key);
        return scales;
    }

    /**
     * After {@link #forward}: shows observer every layer's saved activations, copied to the host,
     * in the order and shapes the CPU forward pass shows them.
     */
    void observe(Batch b, ForwardObserver observer) {
        fetch(List.of(x, ln1, ln2, att, up, act, lnf));
        NemotronConfig c = config;
        int hs = c.hiddenSize(), qd = c.qDim(), f = c.intermediateSize();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            observer.normOutput(l, 0, slice(ln1, l * n * hs, n * hs), b);
            observer.attentionOutput(l, slice(att, l * n * qd, n * qd), b);
            observer.normOutput(l, 1, slice(ln2, l * n * hs, n * hs), b);
            observer.mlpPreActivation(l, slice(up, l * n * f, n * f), b);
            observer.mlpPostActivation(l, slice(act, l * n * f, n * f), b);
            observer.layerOutput(l, slice(x, l * n * hs, n * hs), slice(x, (l + 1) * n * hs, n * hs), b);
        }
        observer.finalNormOutput(slice(lnf, 0, n * hs), b);
    }

    private static float[] slice(FloatArray a, int offset, int length) {
        return a.getSegment().asSlice((long) offset * Float.BYTES, (long) length * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Sets every gradient to 0 (they start at 0; later only when a backward pass has added into them). */
    void zeroGradients() {
        if (gradientsDirty) run(Graph.ZERO);
        gradientsDirty = false;
    }

    /**
     * After {@link #forward}: next-token CE, then the backward pass, adding weight times the
     * gradients into {@link #grads}. Returns the (unweighted) loss.
     */
    double crossEntropyBackward(float weight) {
        requireBackward();
        lossSettings.set(LossKernels.WEIGHT, weight);
        run(Graph.CE);
        backward();
        return lossResult.get(0);
    }

    /**
     * After {@link #forward}: the distillation loss against teacherLogits sent from the host, or
     * (teacherLogits null) against the resident teacher's logits of a {@link Distillation}, then the
     * backward pass, adding weight times the gradients into {@link #grads} (and, with pairs, the
     * intermediate-state loss's into the projections'). Returns the unweighted [objective, logit
     * loss, CE] and, with pairs, L_is.
     */
    double[] distillationBackward(float[] teacherLogits, DistillationLoss loss, float weight) {
        requireBackward();
        lossSettings.set(LossKernels.TAU, (float) loss.tau());
        lossSettings.set(LossKernels.WEIGHT, weight);
        lossSettings.set(LossKernels.KIND, LossKernels.code(loss.kind()));
        lossSettings.set(LossKernels.TOP_K_SETTING, loss.topK());
        lossSettings.set(LossKernels.CE_WEIGHT, (float) loss.ceWeight());
        if (teacherLogits != null) {
            if (teacher == null) throw new IllegalStateException("the student of a resident teacher takes no teacher logits from the host");
            if (teacherLogits.length != teacher.getSize())
                throw new IllegalArgumentException("teacher logits hold " + teacherLogits.length + " values, the batch needs " + teacher.getSize());
            teacher.getSegment().copyFrom(MemorySegment.ofArray(teacherLogits));
        } else if (teacher != null) {
            throw new IllegalStateException("these graphs hold no teacher: pass its logits");
        }
        run(Graph.KD);
        if (!pairs.isEmpty()) run(Graph.INTERMEDIATE).transferToHost(isResult);
        backward();
        double logit = lossResult.get(LossKernels.LOGIT_LOSS), ce = lossResult.get(LossKernels.CE_LOSS);
        if (pairs.isEmpty()) return new double[]{lossResult.get(LossKernels.OBJECTIVE), logit, ce};
        return new double[]{isResult.get(LossKernels.IS_OBJECTIVE), logit, ce, isResult.get(LossKernels.IS_LOSS)};
    }

    /**
     * After {@link #forward} of batch (with its dropout key, for a token classifier): the task
     * head's loss on the host, as the CPU backend computes it ({@link HeadLoss} over the outputs
     * [N,K], fetched: K is small), d outputs sent back, then the backward pass, adding weight times
     * the gradients into {@link #grads}. Returns the (unweighted) loss.
     */
    double taskHeadBackward(Batch b, float weight) {
        requireBackward();
        fetch(List.of(logits));
        float[] outputs = logits.toHeapArray();
        double loss = HeadLoss.of(config, weight).lossAndGradient(outputs, b, config.headOutputs());
        dlogits.getSegment().copyFrom(MemorySegment.ofArray(outputs));
        backward();
        return loss;
    }

    private void requireBackward() {
        if (forwardOnly) throw new IllegalStateException("forward-only graphs have no backward pass");
    }

    /** The backward pass from {@link #dlogits}; fetches the loss graph's results. */
    private void backward() {
        run(Graph.HEAD_BACK);
        for (int l = config.numHiddenLayers() - 1; l >= 0; l--) {
            backwardSlots.select(l);
            run(Graph.LAYER_BACK);
        }
        run(Graph.EMBED_BACK).transferToHost(lossResult);
        gradientsDirty = true;
    }

    /** The global norm of {@link #grads} into {@link #gradStats} (norm, finite flag), fetched; returns the norm. */
    double gradientNorm() {
        run(Graph.NORM).transferToHost(gradStats);
        return gradStats.get(0);
    }

    /**
     * After {@link #gradientNorm}: clipping to maxNorm (0 = off) and one AdamW update of the device
     * weights at step t (counting from 1), AdamW's hyperparameters as in {@link AdamWScalars}.
     */
    void optimizerStep(float lr, float beta1, float beta2, float eps, float weightDecay, float maxNorm, int step) {
        if (expAvg == null) throw new IllegalStateException("these graphs were built without an optimizer");
        AdamWScalars.write(adamSettings, lr, beta1, beta2, eps, weightDecay, maxNorm, step);
        run(Graph.OPTIMIZER);
    }

    /** Whether any graph of the plan has run: until then the host arrays are what the first run sends. */
    boolean started() {
        return plan.started();
    }

    /** Copies device buffers to their host arrays (they stay on the device); before any run the host arrays are current. */
    void fetch(List<FloatArray> arrays) {
        plan.fetch(arrays);
    }

    /** Closes the plan (shared with the other model of a {@link Distillation}). */
    @Override
    public void close() {
        plan.close();
    }
}
