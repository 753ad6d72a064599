package minitron4j.model.backend;

import minitron4j.model.Batch;
import minitron4j.model.Parameters;

/**
 * Where the model's passes run: the CPU kernels ({@code cpu}, always present) or another
 * implementation of the same op contract found on the class path through {@link java.util.ServiceLoader}
 * (the TornadoVM backend, {@code tornado}). Commands pick one with {@code --backend}.
 */
public interface Backend {
    /** The name {@code --backend} takes. */
    String name();

    /** Whether this backend can run here (e.g. a device is present); a reason otherwise. */
    default String unavailableReason() {
        return null;
    }

    /** Prepares a model's parameters on this backend (for a device: copied once, kept there). */
    Session open(Parameters params);

    /** A model resident on a backend. Buffers are reused across calls of the same batch shape. */
    interface Session extends AutoCloseable {
        /** Logits [B*T, V] of a batch. */
        float[] forward(Batch batch);

        /**
         * One forward + loss + backward: returns the loss and adds d loss / d parameter into grads
         * (a pool mirroring the parameters). teacherLogits [B*T, V] selects the KD loss at
         * temperature tau (HF tau^2 convention); null selects next-token cross-entropy.
         */
        double lossAndGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads);

        @Override
        void close();
    }
}
