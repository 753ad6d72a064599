package minitron4j.model.backend;

import minitron4j.kernels.Gemm;
import minitron4j.kernels.Parallel;
import minitron4j.model.Activations;
import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.GradientNorm;
import minitron4j.model.LogitLoss;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;
import minitron4j.model.io.WeightStorage;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.FrozenTeacher;
import minitron4j.model.loss.HeadLoss;
import minitron4j.model.loss.IntermediateStateLoss;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The CPU kernels (Vector API + threads): the reference every other backend is compared with. A
 * session works on the caller's parameter pool itself, so training updates it in place.
 */
public final class CpuBackend implements Backend, BenchProbes {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public WeightStorage weightStorage() {
        return WeightStorage.AS_STORED;
    }

    @Override
    public Map<String, String> describe() {
        return Map.of("device", Runtime.getRuntime().availableProcessors() + " cores " + System.getProperty("os.arch")
                + ", " + Parallel.threads() + " threads", "gemm", "packed");
    }

    /** The packed Vector API sgemm ({@link Gemm#linear}) on random operands. */
    @Override
    public Map<String, double[]> matmulSeconds(int n, int repeats) {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[n * n], w = new float[n * n], out = new float[n * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble() - 0.5f;
            w[i] = (float) r.nextDouble() - 0.5f;
        }
        Gemm.linear(out, x, w, n, n, n);
        double[] seconds = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            Gemm.linear(out, x, w, n, n, n);
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        return Map.of("packed", seconds);
    }

    @Override
    public Session open(Parameters params) {
        Nemotron model = new Nemotron(params);
        return new Session() {
            @Override
            public NemotronConfig config() {
                return model.config();
            }

            // forward passes keep one layer's buffers; gradient passes every layer's; observation skips the head
            private Activations inference, training, observation;

            @Override
            public float[] forward(Batch batch, ForwardObserver observer) {
                if (!fits(inference, batch)) inference = model.inferenceActivations(batch.batch(), batch.seq());
                model.forward(batch, inference, observer);
                return inference.logits().clone();
            }

            @Override
            public void observe(Batch batch, ForwardObserver observer) {
                if (!fits(observation, batch)) observation = model.hiddenStateActivations(batch.batch(), batch.seq());
                model.forward(batch, observation, observer);
            }

            @Override
            public double crossEntropyGradients(Batch batch, Parameters grads) {
                model.config().requireCausalLm("next-token cross-entropy");
                return model.step(batch, training(batch), grads, LogitLoss.crossEntropy(1f));
            }

            @Override
            public double klGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
                model.config().requireCausalLm("distillation");
                return model.step(batch, training(batch), grads, LogitLoss.forwardKl(teacherLogits, tau));
            }

            private Activations training(Batch batch) {
                if (!fits(training, batch)) training = model.trainingActivations(batch.batch(), batch.seq());
                return training;
            }

            @Override
            public Decoder decoder(int maxSeq) {
                model.config().requireCausalLm("generation");
                return new CpuDecoder(model, maxSeq);
            }

            @Override
            public Training training(Loss loss, int batch, int seq, AdamWSettings settings) {
                return new CpuTraining(model, loss, batch, seq, settings);
            }

            @Override
            public void close() {
                inference = training = observation = null;
            }
        };
    }

    /** Whether buffers exist for the batch's shape (they are reused across calls of one shape). */
    private static boolean fits(Activations acts, Batch batch) {
        return acts != null && acts.batch() == batch.batch() && acts.seq() == batch.seq();
    }

    /**
     * Gradients and moments in host pools mirroring the parameters; the update is torch's AdamW.
     * A distillation runs its frozen teacher forward on each micro-batch, then the student's
     * forward, the {@link DistillationLoss} on the logits and, with layer pairs, the
     * {@link IntermediateStateLoss} (its learned projections trained beside the weights), then one
     * backward pass.
     */
    private static final class CpuTraining implements Training {
        private final Nemotron model;
        private final Loss loss;
        private final Parameters params, grads, expAvg, expAvgSq;
        private final Activations acts;
        private final AdamWSettings settings;
        // a distillation's parts (null for cross-entropy): the teacher, the intermediate-state loss
        private final FrozenTeacher teacher;
        private final IntermediateStateLoss intermediate;
        private final List<TrainableTensor> extras;
        private final List<Tensor> extraExpAvg, extraExpAvgSq;
        private boolean started;

        CpuTraining(Nemotron model, Loss loss, int batch, int seq, AdamWSettings settings) {
            this.model = model;
            this.loss = loss;
            this.params = model.parameters();
            this.settings = settings;
            if (loss instanceof Loss.Distillation d) {
                model.config().requireCausalLm("distillation");
                d.checkTeacher(model.config());
                teacher = new FrozenTeacher(new Nemotron(d.teacher()), batch, seq, IntermediateStateLoss.teacherIndices(d.intermediate()));
                intermediate = d.intermediate().isEmpty() ? null
                        : new IntermediateStateLoss(model.config(), teacher, d.intermediate(), batch, seq, d.projectionSeed());
            } else {
                if (loss instanceof Loss.TaskHead t) t.checkModel(model.config());
                else model.config().requireCausalLm("cross-entropy training");
                teacher = null;
                intermediate = null;
            }
            this.extras = intermediate == null ? List.of() : intermediate.projections();
            this.extraExpAvg = extras.stream().map(e -> Tensor.zeros(e.name(), e.value().shape())).toList();
            this.extraExpAvgSq = extras.stream().map(e -> Tensor.zeros(e.name(), e.value().shape())).toList();
            this.grads = Parameters.zeros(params.config());
            this.expAvg = Parameters.zeros(params.config());
            this.expAvgSq = Parameters.zeros(params.config());
            this.acts = model.trainingActivations(batch, seq);
        }

        @Override
        public List<String> metrics() {
            return loss.metrics();
        }

        @Override
        public List<Tensor> extraParameters() {
            return extras.stream().map(e -> e.value().copy()).toList();
        }

        @Override
        public void zeroGradients() {
            grads.zero();
            for (TrainableTensor e : extras) Arrays.fill(e.gradient().data(), 0f);
        }

        @Override
        public double[] accumulate(Batch batch, float weight) {
            if (acts.batch() != batch.batch() || acts.seq() != batch.seq())
                throw new IllegalArgumentException("training was opened for [" + acts.batch() + ", " + acts.seq() + "], got ["
                        + batch.batch() + ", " + batch.seq() + "]");
            started = true;
            return switch (loss) {
                case Loss.CrossEntropy ce -> new double[]{model.crossEntropyStep(batch, acts, grads, weight)};
                case Loss.TaskHead t -> new double[]{model.step(batch, acts, grads, HeadLoss.of(model.config(), weight))};
                case Loss.Distillation d -> distil(batch, d.logitLoss(), weight);
            };
        }

        private double[] distil(Batch batch, DistillationLoss logitLoss, float weight) {
            float[] teacherLogits = teacher.logits(batch);
            model.forward(batch, acts, intermediate == null ? null : intermediate.studentObserver());
            DistillationLoss.Values v = logitLoss.lossAndGradient(acts.logits(), teacherLogits, batch, model.config().vocabSize(), weight);
            if (intermediate == null) {
                model.backward(batch, acts, acts.logits(), grads);
                return new double[]{v.objective(), v.logitLoss(), v.ceLoss()};
            }
            double is = intermediate.loss(batch, acts);
            double alpha = is == 0 ? 0 : v.objective() / is;
            model.backward(batch, acts, acts.logits(), grads, intermediate.gradient((float) (alpha * weight)));
            return new double[]{v.objective() + alpha * is, v.logitLoss(), v.ceLoss(), is};
        }

        @Override
        public float[] teacherLogits(Batch batch) {
            if (teacher == null) throw new IllegalStateException("this training has no teacher");
            return teacher.logits(batch);
        }

        private List<Tensor> allGradients() {
            List<Tensor> all = new ArrayList<>(grads.tensors());
            for (TrainableTensor e : extras) all.add(e.gradient());
            return all;
        }

        @Override
        public double gradientNorm() {
            return GradientNorm.of(allGradients());
        }

        @Override
        public void update(double norm, double maxNorm, double lr, int step) {
            GradientNorm.clip(allGradients(), norm, maxNorm);
            for (Tensor p : params.tensors())
                settings.update(p, grads.data(p.name()), expAvg.data(p.name()), expAvgSq.data(p.name()), lr, step);
            for (int i = 0; i < extras.size(); i++)
                settings.update(extras.get(i).value(), extras.get(i).gradient().data(), extraExpAvg.get(i).data(),
                        extraExpAvgSq.get(i).data(), lr, step);
        }

        @Override
        public void readParameters(Parameters into) {
            if (into != params) into.copyFrom(params);
        }

        @Override
        public void readGradients(Parameters into) {
            into.copyFrom(grads);
        }

        @Override
        public void readMoments(Parameters m, Parameters v) {
            m.copyFrom(expAvg);
            v.copyFrom(expAvgSq);
        }

        @Override
        public void writeParameters(Parameters from) {
            beforeFirstStep("parameters");
            if (from != params) params.copyFrom(from);
        }

        @Override
        public void writeMoments(Parameters m, Parameters v) {
            beforeFirstStep("AdamW moments");
            expAvg.copyFrom(m);
            expAvgSq.copyFrom(v);
        }

        @Override
        public void readExtras(List<Tensor> values, List<Tensor> gradients, List<Tensor> m, List<Tensor> v) {
            copy(extras.stream().map(TrainableTensor::value).toList(), values);
            copy(extras.stream().map(TrainableTensor::gradient).toList(), gradients);
            copy(extraExpAvg, m);
            copy(extraExpAvgSq, v);
        }

        @Override
        public void writeExtras(List<Tensor> values, List<Tensor> m, List<Tensor> v) {
            beforeFirstStep("extra parameters");
            copy(values, extras.stream().map(TrainableTensor::value).toList());
            copy(m, extraExpAvg);
            copy(v, extraExpAvgSq);
        }

        /** Copies tensor by tensor; the lists name the same tensors in the same order. */
        private static void copy(List<Tensor> from, List<Tensor> to) {
            Backend.Training.checkExtras(from, to);
            for (int i = 0; i < from.size(); i++) System.arraycopy(from.get(i).data(), 0, to.get(i).data(), 0, from.get(i).size());
        }

        /** The contract's rule, kept here too although host pools could take writes at any time: both backends behave alike. */
        private void beforeFirstStep(String what) {
            if (started) throw new IllegalStateException(Backend.Training.writeAfterFirstStep("cpu", what));
        }

        @Override
        public void close() {}
    }
}
