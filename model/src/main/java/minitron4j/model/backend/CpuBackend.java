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
import minitron4j.model.io.WeightStorage;

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

    /** Sessions work on the caller's pool with the CPU kernels: host objectives may run beside them. */
    @Override
    public boolean runsHostObjectives() {
        return true;
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
            public double lossAndGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
                if (!fits(training, batch)) training = model.trainingActivations(batch.batch(), batch.seq());
                return model.step(batch, training, grads, loss(teacherLogits, tau, 1f));
            }

            @Override
            public Decoder decoder(int maxSeq) {
                return new CpuDecoder(model, maxSeq);
            }

            @Override
            public Training training(int batch, int seq, AdamWSettings settings) {
                return new CpuTraining(model, null, batch, seq, settings);
            }

            @Override
            public Distillation distillation(Parameters teacher, int batch, int seq, AdamWSettings settings) {
                return new CpuTraining(model, new Nemotron(teacher), batch, seq, settings);
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

    private static LogitLoss loss(float[] teacherLogits, float tau, float weight) {
        return teacherLogits == null ? LogitLoss.crossEntropy(weight) : LogitLoss.forwardKl(teacherLogits, tau, weight);
    }

    /**
     * Gradients and moments in host pools mirroring the parameters; the update is torch's AdamW.
     * With a teacher, each micro-batch's KD target is its forward pass.
     */
    private static final class CpuTraining implements Distillation {
        private final Nemotron model, teacher;
        private final Parameters params, grads, expAvg, expAvgSq;
        private final Activations acts, teacherActs;
        private final AdamWSettings settings;
        private boolean started;

        CpuTraining(Nemotron model, Nemotron teacher, int batch, int seq, AdamWSettings settings) {
            this.model = model;
            this.teacher = teacher;
            this.teacherActs = teacher == null ? null : teacher.inferenceActivations(batch, seq);
            this.params = model.parameters();
            this.grads = Parameters.zeros(params.config());
            this.expAvg = Parameters.zeros(params.config());
            this.expAvgSq = Parameters.zeros(params.config());
            this.acts = model.trainingActivations(batch, seq);
            this.settings = settings;
        }

        @Override
        public void zeroGradients() {
            grads.zero();
        }

        @Override
        public double accumulate(Batch batch, float[] teacherLogits, float tau, float weight) {
            started = true;
            if (teacher != null) {
                if (teacherLogits != null) throw new IllegalArgumentException("a resident teacher gives the logits; pass null");
                teacherLogits = teacherLogits(batch);
            }
            return model.step(batch, acts, grads, loss(teacherLogits, tau, weight));
        }

        @Override
        public float[] teacherLogits(Batch batch) {
            if (teacher == null) throw new IllegalStateException("this training has no teacher");
            teacher.forward(batch, teacherActs, null);
            return teacherActs.logits();
        }

        @Override
        public double gradientNorm() {
            return GradientNorm.of(grads.tensors());
        }

        @Override
        public void update(double norm, double maxNorm, double lr, int step) {
            GradientNorm.clip(grads.tensors(), norm, maxNorm);
            for (Tensor p : params.tensors())
                settings.update(p, grads.data(p.name()), expAvg.data(p.name()), expAvgSq.data(p.name()), lr, step);
        }

        @Override
        public void readParameters(Parameters into) {
            into.copyFrom(params);
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
            params.copyFrom(from);
        }

        @Override
        public void writeMoments(Parameters m, Parameters v) {
            beforeFirstStep("AdamW moments");
            expAvg.copyFrom(m);
            expAvgSq.copyFrom(v);
        }

        /** The contract's rule, kept here too although host pools could take writes at any time: both backends behave alike. */
        private void beforeFirstStep(String what) {
            if (started) throw new IllegalStateException(Backend.Training.writeAfterFirstStep("cpu", what));
        }

        @Override
        public void close() {}
    }
}
