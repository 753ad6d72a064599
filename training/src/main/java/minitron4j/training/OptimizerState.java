package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * AdamW's state on the host, as checkpoints hold it (torch.optim.AdamW's {@code state}): the
 * moment pools, mirroring the parameter pool name by name, the moments of the tensors trained
 * beside the model, and the number of steps taken. The update itself runs on the backend
 * ({@link minitron4j.model.backend.Backend.Training#update}); {@link TrainingSteps} brings its
 * moments here before each checkpoint and sends restored ones back on resume.
 */
public final class OptimizerState {
    /** Key prefixes of the moment tensors in {@code optimizer.safetensors}, as torch names them. */
    public static final String EXP_AVG = "exp_avg.";
    public static final String EXP_AVG_SQ = "exp_avg_sq.";
    /** Metadata key of the number of steps taken. */
    public static final String STEP = "step";

    private final AdamWSettings settings;
    private final Parameters expAvg;
    private final Parameters expAvgSq;
    private final List<TrainableTensor> extras;
    private final List<Tensor> extraExpAvg;
    private final List<Tensor> extraExpAvgSq;
    private int step;

    public OptimizerState(Parameters params, AdamWSettings settings) {
        this(params, List.of(), settings);
    }

    /** Also the state of extras (tensors trained beside the model's parameters, named apart from them). */
    public OptimizerState(Parameters params, List<TrainableTensor> extras, AdamWSettings settings) {
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

    /** The tensors trained beside the model's parameters, in the order given: their values and gradients. */
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

    /** The extras' first moments, in the order of {@link #extras()}. */
    public List<Tensor> extraExpAvg() {
        return extraExpAvg;
    }

    /** The extras' second moments. */
    public List<Tensor> extraExpAvgSq() {
        return extraExpAvgSq;
    }

    /** The extras' gradient tensors. */
    public List<Tensor> extraGradients() {
        return extras.stream().map(TrainableTensor::gradient).toList();
    }

    /** The extras' values. */
    public List<Tensor> extraValues() {
        return extras.stream().map(TrainableTensor::value).toList();
    }

    /** Counts a step the backend took. Returns the new count (the update's step, from 1). */
    public int countStep() {
        return ++step;
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
