package minitron4j.tornado;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Dropout;
import minitron4j.model.ForwardObserver;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.BenchProbes;
import minitron4j.model.backend.Loss;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.IntermediateStateLoss;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The TornadoVM backend ({@code --backend tornado}): the model's passes as task graphs on
 * TornadoVM's default device (the first device of the backend whose driver is on the module path).
 * Weights go to the device once per session; per batch shape one set of graphs is built
 * ({@link ModelGraphs}) and replayed. Each decoder ({@link DecodeGraphs}) is a plan of its own that
 * sends the session's host copy of the weights once.
 */
public final class TornadoBackend implements Backend, BenchProbes {
    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public String unavailableReason() {
        try {
            TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice();
            return null;
        } catch (Throwable e) {
            // NoClassDefFoundError without the SDK's module path, a driver error without a device
            return "the TornadoVM runtime did not start (" + e + "); run through bin/minitron4j-tornado with TORNADOVM_HOME set";
        }
    }

    /**
     * The default device's name, the matmul kernels the graphs use ({@link GemmVariant#selected}) and
     * whether the plans replay CUDA graphs ({@link GraphPlan#replaysCudaGraphs}).
     */
    @Override
    public Map<String, String> describe() {
        String device = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice().getPhysicalDevice().getDeviceName();
        return Map.of("device", device, "gemm", GemmVariant.selected().label(), "cuda_graph", String.valueOf(GraphPlan.replaysCudaGraphs()));
    }

    /**
     * Every {@link GemmVariant}, whichever the graphs use: under its name the wall time of an
     * execution, under name + {@code _kernel} the device's kernel time alone.
     */
    @Override
    public Map<String, double[]> matmulSeconds(int n, int repeats) {
        Map<String, double[]> seconds = new LinkedHashMap<>();
        for (GemmVariant v : GemmVariant.values()) {
            MatmulProbe.Seconds s = MatmulProbe.measure(v, n, repeats);
            seconds.put(v.label(), s.wall());
            seconds.put(v.label() + "_kernel", s.kernel());
        }
        return seconds;
    }

    @Override
    public TornadoSession open(Parameters params) {
        return new TornadoSession(params);
    }

    /** A model resident on the device; also exposes the device-computed gradient norm of the last step. */
    public static final class TornadoSession implements Session {
        private final StackedParameters weights;
        private ModelGraphs graphs;
        private TornadoTraining training;

        TornadoSession(Parameters params) {
            this.weights = StackedParameters.of(params);
        }

        @Override
        public NemotronConfig config() {
            return weights.config;
        }

        /**
         * The graphs for this batch shape: forward-only ones (no gradient buffers on the device) until
         * a gradient pass needs more. While training is open its graphs hold the trained weights, so
         * other shapes are refused rather than rebuilt from the weights the session opened with.
         */
        private ModelGraphs graphs(Batch b, boolean gradients) {
            boolean fits = graphs != null && graphs.batch == b.batch() && graphs.seq == b.seq();
            if (fits && (!gradients || !graphs.forwardOnly)) return graphs;
            if (training != null)
                throw new IllegalStateException("the device holds training graphs for [" + graphs.batch + ", " + graphs.seq
                        + "]; a batch of [" + b.batch() + ", " + b.seq() + "] needs other graphs, which would not see the"
                        + " trained weights: use batches of the training shape while training is open");
            if (graphs != null) graphs.close();
            graphs = gradients ? new ModelGraphs(weights, b.batch(), b.seq()) : ModelGraphs.forwardOnly(weights, b.batch(), b.seq());
            return graphs;
        }

        /** The head's outputs [N,K] (evaluation: no dropout); none for the base model, as on the CPU. */
        @Override
        public float[] forward(Batch batch, ForwardObserver observer) {
            ModelGraphs g = graphs(batch, false);
            g.forward(batch, null, true);
            if (observer != null) g.observe(batch, observer);
            return g.logits == null ? new float[0] : g.logits.toHeapArray();
        }

        /** The head still runs on the device (the graphs are shared with forward); its logits stay there. */
        @Override
        public void observe(Batch batch, ForwardObserver observer) {
            ModelGraphs g = graphs(batch, false);
            g.forward(batch, null, false);
            g.observe(batch, observer);
        }

        @Override
        public double crossEntropyGradients(Batch batch, Parameters grads) {
            weights.config.requireCausalLm("next-token cross-entropy");
            ModelGraphs g = gradientPass(batch);
            double loss = g.crossEntropyBackward(1f);
            return fetchGradients(g, grads, loss);
        }

        @Override
        public double klGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
            weights.config.requireCausalLm("distillation");
            ModelGraphs g = gradientPass(batch);
            double loss = g.distillationBackward(teacherLogits, DistillationLoss.forwardKl(tau), 1f)[0];
            return fetchGradients(g, grads, loss);
        }

        private ModelGraphs gradientPass(Batch batch) {
            ModelGraphs g = graphs(batch, true);
            g.zeroGradients();
            g.forward(batch, null, false);
            return g;
        }

        private double fetchGradients(ModelGraphs g, Parameters grads, double loss) {
            g.gradientNorm();
            g.fetch(g.grads.arrays());
            g.grads.addTo(grads);
            return loss;
        }

        @Override
        public Backend.Decoder decoder(int maxSeq) {
            // a decoder is a plan of its own, sent the host copy: bring trained weights there first
            if (training != null) graphs.fetch(weights.arrays());
            return new DecodeGraphs(weights, maxSeq);
        }

        /**
         * Cross-entropy and a task head's loss: this model's training graphs. Distillation: the
         * teacher's forward graphs and this model's training graphs in one plan, so the teacher's
         * logits stay on the device.
         */
        @Override
        public Training training(Loss loss, int batch, int seq, AdamWSettings settings) {
            ModelGraphs teacherGraphs = null;
            // checked before the open graphs are closed
            switch (loss) {
                case Loss.CrossEntropy ce -> weights.config.requireCausalLm("next-token cross-entropy");
                case Loss.TaskHead t -> t.checkModel(weights.config);
                case Loss.Distillation d -> {
                    weights.config.requireCausalLm("distillation");
                    d.teacher().config().requireCausalLm("a distillation's teacher");
                    d.checkTeacher(weights.config);
                }
            }
            if (loss instanceof Loss.Distillation d) {
                Tensor[] projections = IntermediateStateLoss.initialProjections(weights.config, d.teacher().config(), d.intermediate(),
                        d.projectionSeed());
                beginTraining();
                ModelGraphs.Distillation pair = ModelGraphs.distillation(StackedParameters.of(d.teacher()), weights, batch, seq,
                        settings.decays(), d.intermediate(), projections);
                graphs = pair.student();
                teacherGraphs = pair.teacher();
            } else {
                beginTraining();
                graphs = new ModelGraphs(weights, batch, seq, settings.decays());
            }
            training = new TornadoTraining(graphs, teacherGraphs, loss, settings);
            return training;
        }

        /** Refuses a model whose head is not lm_head for what needs next-token logits. */

        private void beginTraining() {
            if (training != null) throw new IllegalStateException("this session already has training open; close it first");
            if (graphs != null) graphs.close();
            graphs = null;
        }

        /** The L2 norm over every gradient of the last gradient pass, computed on the device. */
        public double lastGradientNorm() {
            return graphs.gradStats.get(0);
        }

        /** Whether every gradient of the last step was finite (NaN or infinity anywhere makes the norm non-finite). */
        public boolean lastGradientsFinite() {
            return graphs.gradStats.get(1) == 1f;
        }

        @Override
        public void close() {
            if (graphs != null) graphs.close();
            graphs = null;
            training = null;
        }

        /**
         * Training state on the device: gradients and moments live in the training graphs beside the
         * weights. Host pools are written into the device arrays only before the first step (then
         * the first execution sends them), which is when a resumed run restores its checkpoint.
         */
        private final class TornadoTraining implements Training {
            private final ModelGraphs g;
            /** The resident teacher's forward graphs (in g's plan), or null. */
            private final ModelGraphs residentTeacher;
            private final Loss loss;
            private final AdamWSettings settings;

            TornadoTraining(ModelGraphs g, ModelGraphs residentTeacher, Loss loss, AdamWSettings settings) {
                this.g = g;
                this.residentTeacher = residentTeacher;
                this.loss = loss;
                this.settings = settings;
            }

            @Override
            public List<String> metrics() {
                return loss.metrics();
            }

            /** The projections at their initial values (later values come through readExtras). */
            @Override
            public List<Tensor> extraParameters() {
                return projected().stream().map(p -> p.initial().copy()).toList();
            }

            private List<ModelGraphs.DevicePair> projected() {
                return g.pairs.stream().filter(p -> p.projection() != null).toList();
            }

            @Override
            public void readExtras(List<Tensor> values, List<Tensor> gradients, List<Tensor> expAvg, List<Tensor> expAvgSq) {
                List<ModelGraphs.DevicePair> pairs = projected();
                List<FloatArray> all = new java.util.ArrayList<>();
                for (ModelGraphs.DevicePair p : pairs) all.addAll(List.of(p.projection(), p.gradient(), p.expAvg(), p.expAvgSq()));
                g.fetch(all);
                copyOut(pairs, ModelGraphs.DevicePair::projection, values);
                copyOut(pairs, ModelGraphs.DevicePair::gradient, gradients);
                copyOut(pairs, ModelGraphs.DevicePair::expAvg, expAvg);
                copyOut(pairs, ModelGraphs.DevicePair::expAvgSq, expAvgSq);
            }

            @Override
            public void writeExtras(List<Tensor> values, List<Tensor> expAvg, List<Tensor> expAvgSq) {
                beforeFirstStep("extra parameters");
                List<ModelGraphs.DevicePair> pairs = projected();
                copyIn(values, pairs, ModelGraphs.DevicePair::projection);
                copyIn(expAvg, pairs, ModelGraphs.DevicePair::expAvg);
                copyIn(expAvgSq, pairs, ModelGraphs.DevicePair::expAvgSq);
            }

            private static void copyOut(List<ModelGraphs.DevicePair> pairs, Function<ModelGraphs.DevicePair, FloatArray> part,
                                        List<Tensor> into) {
                checkExtras(pairs, into);
                for (int i = 0; i < pairs.size(); i++)
                    MemorySegment.copy(part.apply(pairs.get(i)).getSegment(), ValueLayout.JAVA_FLOAT, 0, into.get(i).data(), 0,
                            into.get(i).size());
            }

            private static void copyIn(List<Tensor> from, List<ModelGraphs.DevicePair> pairs, Function<ModelGraphs.DevicePair, FloatArray> part) {
                checkExtras(pairs, from);
                for (int i = 0; i < pairs.size(); i++)
                    part.apply(pairs.get(i)).getSegment().copyFrom(MemorySegment.ofArray(from.get(i).data()));
            }

            private static void checkExtras(List<ModelGraphs.DevicePair> pairs, List<Tensor> tensors) {
                Backend.Training.checkExtras(pairs.stream().map(ModelGraphs.DevicePair::initial).toList(), tensors);
            }

            @Override
            public void zeroGradients() {
                g.zeroGradients();
            }

            @Override
            public double[] accumulate(Batch batch, float weight) {
                if (batch.batch() != g.batch || batch.seq() != g.seq)
                    throw new IllegalArgumentException("training was opened for [" + g.batch + ", " + g.seq + "], got ["
                            + batch.batch() + ", " + batch.seq() + "]");
                return switch (loss) {
                    case Loss.CrossEntropy ce -> {
                        g.forward(batch, null, false);
                        yield new double[]{g.crossEntropyBackward(weight)};
                    }
                    case Loss.TaskHead t -> {
                        g.forward(batch, Dropout.headKey(weights.config, batch), false);
                        yield new double[]{g.taskHeadBackward(batch, weight)};
                    }
                    case Loss.Distillation d -> {
                        residentTeacher.forward(batch, null, false);
                        g.forward(batch, null, false);
                        yield g.distillationBackward(null, d.logitLoss(), weight);
                    }
                };
            }

            @Override
            public float[] teacherLogits(Batch batch) {
                if (residentTeacher == null) throw new IllegalStateException("this training has no teacher");
                residentTeacher.forward(batch, null, true);
                return residentTeacher.logits.toHeapArray();
            }

            @Override
            public double gradientNorm() {
                return g.gradientNorm();
            }

            @Override
            public void update(double norm, double maxNorm, double lr, int step) {
                g.optimizerStep((float) lr, (float) settings.beta1(), (float) settings.beta2(), (float) settings.eps(),
                        (float) settings.weightDecay(), (float) maxNorm, step);
            }

            @Override
            public void readParameters(Parameters into) {
                g.fetch(weights.arrays());
                weights.copyTo(into);
            }

            @Override
            public void readGradients(Parameters into) {
                g.fetch(g.grads.arrays());
                g.grads.copyTo(into);
            }

            @Override
            public void readMoments(Parameters expAvg, Parameters expAvgSq) {
                g.fetch(g.expAvg.arrays());
                g.fetch(g.expAvgSq.arrays());
                g.expAvg.copyTo(expAvg);
                g.expAvgSq.copyTo(expAvgSq);
            }

            @Override
            public void writeParameters(Parameters from) {
                beforeFirstStep("parameters");
                weights.copyFrom(from);
            }

            @Override
            public void writeMoments(Parameters expAvg, Parameters expAvgSq) {
                beforeFirstStep("AdamW moments");
                g.expAvg.copyFrom(expAvg);
                g.expAvgSq.copyFrom(expAvgSq);
            }

            private void beforeFirstStep(String what) {
                // TornadoVM 5.2 sends resident buffers on the first execution only
                if (g.started()) throw new IllegalStateException(Backend.Training.writeAfterFirstStep("tornado", what));
            }

            /** Brings the trained weights to the host arrays, so graphs built later for other shapes start from them. */
            @Override
            public void close() {
                g.fetch(weights.arrays());
                training = null;
            }
        }
    }
}
