package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.backend.Loss;

import java.util.List;

/**
 * The CPU backend with one fault injected into its training, for the loop's NaN guard: at the
 * given micro-batch call, a value written into a weight (before the pass, so the loss sees it) or
 * reported in a gradient (after it, through the norm and the gradient read-back).
 */
final class FaultyBackend implements Backend {
    enum Where { WEIGHT, GRADIENT }

    private final CpuBackend cpu = new CpuBackend();
    private final int atCall;
    private final Where where;
    private final String tensor;
    private final int index;
    private final float value;

    FaultyBackend(int atCall, Where where, String tensor, int index, float value) {
        this.atCall = atCall;
        this.where = where;
        this.tensor = tensor;
        this.index = index;
        this.value = value;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Session open(Parameters params) {
        Session session = cpu.open(params);
        return new Session() {
            @Override
            public minitron4j.model.NemotronConfig config() {
                return session.config();
            }

            @Override
            public float[] forward(Batch batch, minitron4j.model.ForwardObserver observer) {
                return session.forward(batch, observer);
            }

            @Override
            public double crossEntropyGradients(Batch batch, Parameters grads) {
                return session.crossEntropyGradients(batch, grads);
            }

            @Override
            public double klGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
                return session.klGradients(batch, teacherLogits, tau, grads);
            }

            @Override
            public Decoder decoder(int maxSeq) {
                return session.decoder(maxSeq);
            }

            @Override
            public Training training(Loss loss, int batch, int seq, AdamWSettings settings) {
                return new Faulty(session.training(loss, batch, seq, settings), params);
            }

            @Override
            public void close() {
                session.close();
            }
        };
    }

    private final class Faulty implements Training {
        private final Training inner;
        private final Parameters params;
        private int calls;
        private boolean badGradient;

        Faulty(Training inner, Parameters params) {
            this.inner = inner;
            this.params = params;
        }

        @Override
        public List<String> metrics() {
            return inner.metrics();
        }

        @Override
        public void zeroGradients() {
            inner.zeroGradients();
        }

        @Override
        public double[] accumulate(Batch batch, float weight) {
            calls++;
            if (calls == atCall && where == Where.WEIGHT) params.data(tensor)[index] = value;
            double[] values = inner.accumulate(batch, weight);
            if (calls == atCall && where == Where.GRADIENT) badGradient = true;
            return values;
        }

        @Override
        public float[] teacherLogits(Batch batch) {
            return inner.teacherLogits(batch);
        }

        @Override
        public double gradientNorm() {
            return badGradient ? value : inner.gradientNorm();
        }

        @Override
        public void update(double norm, double maxNorm, double lr, int step) {
            inner.update(norm, maxNorm, lr, step);
        }

        @Override
        public void readParameters(Parameters into) {
            inner.readParameters(into);
        }

        @Override
        public void readGradients(Parameters into) {
            inner.readGradients(into);
            if (badGradient) into.data(tensor)[index] = value;
        }

        @Override
        public void readMoments(Parameters expAvg, Parameters expAvgSq) {
            inner.readMoments(expAvg, expAvgSq);
        }

        @Override
        public void writeParameters(Parameters from) {
            inner.writeParameters(from);
        }

        @Override
        public void writeMoments(Parameters expAvg, Parameters expAvgSq) {
            inner.writeMoments(expAvg, expAvgSq);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
