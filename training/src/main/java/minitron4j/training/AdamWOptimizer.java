package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.GradientNorm;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * AdamW over a whole parameter pool, with torch.optim.AdamW semantics (decoupled weight decay,
 * bias-corrected moments). The moment pools mirror the parameter pool name by name; weight decay
 * applies to the tensors {@code decays} accepts (by default all but norms and biases).
 */
public final class AdamWOptimizer {
    /** Key prefixes of the moment tensors in {@code optimizer.safetensors}, as torch names them. */
    public static final String EXP_AVG = "exp_avg.";
    public static final String EXP_AVG_SQ = "exp_avg_sq.";
    /** Metadata key of the number of steps taken. */
    public static final String STEP = "step";

    private final Parameters params;
    private final AdamWSettings settings;
    private final Parameters expAvg;
    private final Parameters expAvgSq;
    private final List<TrainableTensor> extras;
    private final List<Tensor> extraExpAvg;
    private final List<Tensor> extraExpAvgSq;
    private int step;

    public AdamWOptimizer(Parameters params, AdamWSettings settings) {
        this(params, List.of(), settings);
    }

    /** Also updates extras (an objective's own trained tensors, named apart from the model's) from their gradients. */
    public AdamWOptimizer(Parameters params, List<TrainableTensor> extras, AdamWSettings settings) {
        this.params = params;
        this.settings = settings;
        this.expAvg = Parameters.zeros(params.config());
        this.expAvgSq = Parameters.zeros(params.config());
        this.extras = List.copyOf(extras);
        for (TrainableTensor e : this.extras)
            if (params.asMap().containsKey(e.name()))
                throw new IllegalArgumentException("extra parameter " + e.name() + " clashes with a model tensor");
        this.extraExpAvg = this.extras.stream().map(e -> Tensor.zeros(e.name(), e.value().shape())).toList();
        this.extraExpAvgSq = this.extras.stream().map(e -> Tensor.zeros(e.name(), e.value().shape())).toList();
    }

    /** The tensors trained beside the model's parameters, in the order given. */
    public List<TrainableTensor> extras() {
        return extras;
    }

    /** Steps taken so far (torch's {@code state["step"]}). */
    public int step() {
        return step;
    }

    public AdamWSettings settings() {
        return settings;
    }

    /** First moments, a pool mirroring the parameters. */
    public Parameters expAvg() {
        return expAvg;
    }

    /** Second moments, a pool mirroring the parameters. */
    public Parameters expAvgSq() {
        return expAvgSq;
    }

    /** One AdamW update of every parameter from grads (a pool with the same names) at learning rate lr. */
    public void update(Parameters grads, double lr) {
        step++;
        for (Tensor p : params.tensors())
            settings.update(p, grads.data(p.name()), expAvg.data(p.name()), expAvgSq.data(p.name()), lr, step);
        for (int i = 0; i < extras.size(); i++)
            settings.update(extras.get(i).value(), extras.get(i).gradient().data(), extraExpAvg.get(i).data(),
                    extraExpAvgSq.get(i).data(), lr, step);
    }

    /** The extras' gradient tensors, for {@link #clipByGlobalNorm(Parameters, List, double)} and finite checks. */
    public List<Tensor> extraGradients() {
        return extras.stream().map(TrainableTensor::gradient).toList();
    }

    /** The extras' values. */
    public List<Tensor> extraValues() {
        return extras.stream().map(TrainableTensor::value).toList();
    }

    /**
     * sqrt of the sum of squares of every entry of the pool, in double. Blocks of fixed size are
     * summed in parallel and combined in order, so the result does not depend on the thread count.
     */
    public static double globalNorm(Parameters pool) {
        return globalNorm(pool, List.of());
    }

    /** {@link #globalNorm(Parameters)} over the pool and further tensors together. */
    public static double globalNorm(Parameters pool, List<Tensor> more) {
        return GradientNorm.of(all(pool, more));
    }

    private static List<Tensor> all(Parameters pool, List<Tensor> more) {
        List<Tensor> all = new java.util.ArrayList<>(pool.tensors());
        all.addAll(more);
        return all;
    }

    /**
     * torch's clip_grad_norm_: when the global norm exceeds maxNorm, scales every gradient by
     * maxNorm / (norm + 1e-6). Returns the norm before clipping. maxNorm &lt;= 0 turns clipping off.
     */
    public static double clipByGlobalNorm(Parameters grads, double maxNorm) {
        return clipByGlobalNorm(grads, List.of(), maxNorm);
    }

    /** {@link #clipByGlobalNorm(Parameters, double)} over the pool and further gradients together (one norm). */
    public static double clipByGlobalNorm(Parameters grads, List<Tensor> more, double maxNorm) {
        double norm = globalNorm(grads, more);
        clip(grads, more, norm, maxNorm);
        return norm;
    }

    /** The scaling of {@link #clipByGlobalNorm(Parameters, List, double)} given their norm, already computed. */
    public static void clip(Parameters grads, List<Tensor> more, double norm, double maxNorm) {
        GradientNorm.clip(all(grads, more), norm, maxNorm);
    }

    /**
     * Counts a step taken elsewhere: a backend that updates its own copy of the moments, brought
     * into {@link #expAvg()} and {@link #expAvgSq()} before each checkpoint. Returns the new count.
     */
    public int countStep() {
        return ++step;
    }

    /**
     * The first entry of the pool, in HF tensor order, that is NaN or infinite, as
     * "name[index] = value"; null when every entry is finite.
     */
    public static String firstNonFinite(Parameters pool) {
        return firstNonFinite(pool.tensors());
    }

    /** {@link #firstNonFinite(Parameters)} over any tensors, in the order given. */
    public static String firstNonFinite(Collection<Tensor> tensors) {
        for (Tensor t : tensors) {
            String bad = t.firstNonFinite();
            if (bad != null) return bad;
        }
        return null;
    }

    /** Writes the moments (fp32, under {@link #EXP_AVG} / {@link #EXP_AVG_SQ} + HF name) and the step count. */
    public void save(Path file) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata(STEP, Integer.toString(step))
                .metadata("beta1", Double.toString(settings.beta1()))
                .metadata("beta2", Double.toString(settings.beta2()))
                .metadata("eps", Double.toString(settings.eps()))
                .metadata("weight_decay", Double.toString(settings.weightDecay()));
        for (Tensor t : expAvg.tensors()) w.add(t.renamed(EXP_AVG + t.name()), Dtype.F32);
        for (Tensor t : expAvgSq.tensors()) w.add(t.renamed(EXP_AVG_SQ + t.name()), Dtype.F32);
        for (Tensor t : extraExpAvg) w.add(t.renamed(EXP_AVG + t.name()), Dtype.F32);
        for (Tensor t : extraExpAvgSq) w.add(t.renamed(EXP_AVG_SQ + t.name()), Dtype.F32);
        w.write(file);
    }

    /** Restores the moments and the step count written by {@link #save}; every tensor must be there with its shape. */
    public void load(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String stepText = f.metadata().get(STEP);
            if (stepText == null) throw new IOException(file + ": metadata has no \"" + STEP + "\" entry");
            int loadedStep;
            try {
                loadedStep = Integer.parseInt(stepText);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": metadata \"" + STEP + "\" is \"" + stepText + "\", not an integer");
            }
            restore(f, EXP_AVG, expAvg.tensors());
            restore(f, EXP_AVG_SQ, expAvgSq.tensors());
            restore(f, EXP_AVG, extraExpAvg);
            restore(f, EXP_AVG_SQ, extraExpAvgSq);
            step = loadedStep;
        }
    }

    private static void restore(SafetensorsFile f, String prefix, Collection<Tensor> into) throws IOException {
        for (Tensor t : into) {
            String key = prefix + t.name();
            if (!f.contains(key)) throw new IOException(f.path() + ": tensor " + key + " is missing");
            int[] shape = f.info(key).shape();
            if (!java.util.Arrays.equals(shape, t.shape()))
                throw new IOException(f.path() + ": tensor " + key + " has shape " + java.util.Arrays.toString(shape)
                        + ", the model needs " + t.shapeString());
            System.arraycopy(f.readFloats(key).data(), 0, t.data(), 0, t.size());
        }
    }
}
