package minitron4j.model.backend;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.WeightStorage;

import java.util.List;

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

    /**
     * How checkpoints should be loaded for this backend when the weights are not trained: the CPU
     * kernels read bf16/f16 matrices as stored ({@link WeightStorage#AS_STORED}, mapped from the file);
     * a backend that copies fp32 weights to a device asks for {@link WeightStorage#F32}.
     */
    default WeightStorage weightStorage() {
        return WeightStorage.F32;
    }

    /**
     * Why this backend cannot train with loss, or null when it can. Commands ask before they
     * start, so that a run is refused with this reason before anything is written. Both backends
     * of this repository run every loss; the question is for a backend that adds to them (a new
     * device, a partial port).
     */
    default String unsupported(Loss loss) {
        return null;
    }

    /**
     * Prepares a model's parameters on this backend (for a device: copied once, kept there). The
     * session reads params when it opens; later changes of params reach it only through
     * {@link Training#writeParameters}.
     */
    Session open(Parameters params);

    /** A model resident on a backend. Buffers are reused across calls of the same batch shape. */
    interface Session extends AutoCloseable {
        /** The config of the model this session holds. */
        NemotronConfig config();

        /** Logits [B*T, V] of a batch. */
        default float[] forward(Batch batch) {
            return forward(batch, null);
        }

        /**
         * Logits [B*T, V] of a batch, showing observer (may be null) every layer's activations as the
         * CPU forward pass does (a device backend copies them to the host for it, after the pass).
         */
        float[] forward(Batch batch, ForwardObserver observer);

        /**
         * The forward pass for its activations only (importance, hidden states): shows observer
         * every layer's activations and the final norm's output, as {@link #forward(Batch,
         * ForwardObserver)} does, but returns no logits, so a backend may skip the output head (on
         * the CPU its [N, V] product and buffer: 8 GB for 16 x 512 tokens of a 256k vocabulary).
         */
        default void observe(Batch batch, ForwardObserver observer) {
            forward(batch, observer);
        }

        /**
         * One forward + next-token cross-entropy + backward: returns the loss and adds d loss / d
         * parameter into grads (a pool mirroring the parameters).
         */
        double crossEntropyGradients(Batch batch, Parameters grads);

        /**
         * One forward + KL(teacher || student) at temperature tau (HF tau^2 convention) against
         * teacherLogits [B*T, V] computed elsewhere (a file, another framework) + backward: returns
         * the loss and adds its gradients into grads.
         */
        double klGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads);

        /** Generation state for one sequence: a KV cache of up to maxSeq positions on this backend. */
        Decoder decoder(int maxSeq);

        /**
         * Training state on this backend beside the weights: a gradient pool and AdamW's moments,
         * for micro-batches of [batch, seq], minimising loss (a distillation's teacher is held
         * beside the student on this backend, so that its logits need not travel). The weights this
         * session holds are the ones trained. Callers ask {@link Backend#unsupported} first (as
         * {@code TrainingSteps} does): a loss it names is not run here.
         */
        Training training(Loss loss, int batch, int seq, AdamWSettings settings);

        @Override
        void close();
    }

    /** Autoregressive decoding of one sequence through a KV cache kept on the backend. */
    interface Decoder extends AutoCloseable {
        /**
         * Runs tokens at the next positions of the cache (the prompt, then one token at a time) and
         * returns the logits [V] that follow the last of them (a buffer the next call may reuse).
         */
        float[] append(int[] tokens);

        /** Positions filled so far. */
        int length();

        /** Positions the cache holds. */
        int capacity();

        /** The check every {@link #append} makes first: some tokens, and room for them in the cache. */
        static void checkRoom(int length, int capacity, int more) {
            if (more == 0) throw new IllegalArgumentException("no tokens to append");
            if (length + more > capacity)
                throw new IllegalArgumentException("the KV cache holds " + capacity + " positions; " + length + " are filled and "
                        + more + " more came");
        }

        @Override
        void close();
    }

    /**
     * Training steps whose state stays on the backend: per step {@link #zeroGradients}, one
     * {@link #accumulate} per micro-batch, {@link #gradientNorm}, {@link #update}. Only the ids go in
     * and the scalars come out; the read and write methods move the
     * weights, gradients and moments between the backend and host pools (for checkpoints,
     * validation on the host, resume and error messages).
     */
    interface Training extends AutoCloseable {
        /** The JSONL keys of what {@link #accumulate} returns: the loss's {@link Loss#metrics()}. */
        List<String> metrics();

        /**
         * Tensors trained beside the model's weights (the learned projections of an
         * intermediate-state loss), as host copies of their initial values; none by default. The
         * read and write methods of extras move them, in this order.
         */
        default List<Tensor> extraParameters() {
            return List.of();
        }

        void zeroGradients();

        /**
         * Forward, loss and backward of one micro-batch, adding weight * d loss / d parameter into the
         * gradients. Returns the unweighted values of {@link #metrics()}.
         */
        double[] accumulate(Batch batch, float weight);

        /** The teacher's logits [B*T, V] of a batch of the training shape (validation of a distillation; a buffer the next call may reuse). */
        float[] teacherLogits(Batch batch);

        /** The global L2 norm of the accumulated gradients; not finite when any gradient is not. */
        double gradientNorm();

        /**
         * torch's clip_grad_norm_ to maxNorm (0 = off) given the norm {@link #gradientNorm} returned,
         * then one AdamW update at learning rate lr; step counts from 1.
         */
        void update(double norm, double maxNorm, double lr, int step);

        void readParameters(Parameters into);

        void readGradients(Parameters into);

        void readMoments(Parameters expAvg, Parameters expAvgSq);

        /**
         * Replaces the trained weights with from's (a resumed run's checkpoint). Only before the first
         * {@link #accumulate}: afterwards every backend refuses with an IllegalStateException (a device
         * backend may have sent its resident buffers once, on the first step, and would not see them).
         */
        void writeParameters(Parameters from);

        /** Replaces AdamW's moments; before the first {@link #accumulate} only, as {@link #writeParameters}. */
        void writeMoments(Parameters expAvg, Parameters expAvgSq);

        /** Copies the {@link #extraParameters()}' values, gradients and moments into host tensors of their shapes. */
        default void readExtras(List<Tensor> values, List<Tensor> gradients, List<Tensor> expAvg, List<Tensor> expAvgSq) {
            for (List<Tensor> l : List.of(values, gradients, expAvg, expAvgSq)) checkExtras(List.of(), l);
        }

        /** Replaces the extras' values and moments; before the first {@link #accumulate} only. */
        default void writeExtras(List<Tensor> values, List<Tensor> expAvg, List<Tensor> expAvgSq) {
            for (List<Tensor> l : List.of(values, expAvg, expAvgSq)) checkExtras(List.of(), l);
        }

        /**
         * The check every read and write of extras makes: given mirrors own, tensor by tensor (the
         * same count, names and sizes, in order).
         */
        static void checkExtras(List<Tensor> own, List<Tensor> given) {
            if (given.size() != own.size())
                throw new IllegalArgumentException("expected " + own.size() + " extra tensors, got " + given.size());
            for (int i = 0; i < own.size(); i++) {
                Tensor a = own.get(i), b = given.get(i);
                if (!a.name().equals(b.name()) || a.size() != b.size())
                    throw new IllegalArgumentException("extra tensor " + b.name() + " " + b.shapeString() + " does not mirror "
                            + a.name() + " " + a.shapeString());
            }
        }

        /** The message both backends give when a write comes after the first step. */
        static String writeAfterFirstStep(String backend, String what) {
            return "the " + backend + " backend takes " + what + " from the host only before its first step"
                    + " (a resumed run writes its restored state then)";
        }

        @Override
        void close();
    }
}
