package minitron4j.model.backend;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.LogitLoss;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;

/** The CPU kernels (Vector API + threads): the reference every other backend is compared with. */
public final class CpuBackend implements Backend {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Session open(Parameters params) {
        Nemotron model = new Nemotron(params);
        return new Session() {
            private Activations acts;

            private Activations activations(Batch b) {
                if (acts == null || acts.batch() != b.batch() || acts.seq() != b.seq())
                    acts = model.trainingActivations(b.batch(), b.seq());
                return acts;
            }

            @Override
            public float[] forward(Batch batch) {
                Activations a = activations(batch);
                model.forward(batch, a, null);
                return a.logits().clone();
            }

            @Override
            public double lossAndGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
                LogitLoss loss = teacherLogits == null ? LogitLoss.crossEntropy(1f) : LogitLoss.forwardKl(teacherLogits, tau);
                return model.step(batch, activations(batch), grads, loss);
            }

            @Override
            public void close() {
                acts = null;
            }
        };
    }
}
