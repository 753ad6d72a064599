package minitron4j.tornado;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The TornadoVM backend ({@code --backend tornado}): the model's passes as task graphs on
 * TornadoVM's default device (the first device of the backend whose driver is on the module path).
 * Weights go to the device once per session; per batch shape one set of graphs is built
 * ({@link ModelGraphs}) and replayed. Each decoder ({@link DecodeGraphs}) is a plan of its own that
 * sends the session's host copy of the weights once.
 */
public final class TornadoBackend implements Backend {
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

    @Override
    public TornadoSession open(Parameters params) {
        return new TornadoSession(params);
    }

    /** A model resident on the device; also exposes the device-computed gradient norm of the last step. */
    public static final class TornadoSession implements Session {
        private final StackedParameters weights;
        private ModelGraphs graphs;

        TornadoSession(Parameters params) {
            this.weights = StackedParameters.of(params);
        }

        private ModelGraphs graphs(Batch b) {
            if (graphs == null || graphs.batch != b.batch() || graphs.seq != b.seq()) {
                if (graphs != null) graphs.close();
                graphs = new ModelGraphs(weights, b.batch(), b.seq());
            }
            return graphs;
        }

        @Override
        public float[] forward(Batch batch) {
            ModelGraphs g = graphs(batch);
            g.forward(batch.ids(), batch.lengths(), true);
            return g.logits.toHeapArray();
        }

        @Override
        public double lossAndGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
            ModelGraphs g = graphs(batch);
            g.forward(batch.ids(), batch.lengths(), false);
            double loss = g.lossAndBackward(teacherLogits == null ? null : FloatArray.fromArray(teacherLogits), tau, true);
            g.grads.addTo(grads);
            return loss;
        }

        @Override
        public Backend.Decoder decoder(int maxSeq) {
            return new DecodeGraphs(weights, maxSeq);
        }

        @Override
        public Training training(int batch, int seq, AdamWSettings settings) {
            throw new UnsupportedOperationException("training state on the tornado backend is not implemented yet"
                    + " (use lossAndGradients per step)");
        }

        /** The L2 norm over every gradient of the last {@link #lossAndGradients}, computed on the device. */
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
        }
    }
}
