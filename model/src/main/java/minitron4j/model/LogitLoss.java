package minitron4j.model;

import minitron4j.kernels.CrossEntropy;
import minitron4j.kernels.KlDivergence;

/**
 * A loss on the logits of a batch. {@link #lossAndGradient} returns the loss and overwrites the
 * logits [N, V] with d loss / d logits, so no second [N, V] buffer is needed.
 */
@FunctionalInterface
public interface LogitLoss {
    double lossAndGradient(float[] logits, Batch batch, int vocab);

    /** HF's causal-LM cross-entropy (labels = ids shifted, padding ignored), times weight in the gradient. */
    static LogitLoss crossEntropy(float weight) {
        return (logits, batch, vocab) -> {
            int[] targets = batch.nextTokenTargets();
            double loss = CrossEntropy.forward(logits, targets, batch.tokens(), vocab, null);
            CrossEntropy.backwardInPlace(logits, targets, batch.tokens(), vocab, weight, logits, false);
            return loss;
        };
    }

    /**
     * The distillation loss: KL(softmax(teacher/tau) || softmax(student/tau)) per real position,
     * mean, times tau^2. teacherLogits is [N, V] for the same batch.
     */
    static LogitLoss forwardKl(float[] teacherLogits, float tau) {
        return forwardKl(teacherLogits, tau, 1f);
    }

    /** {@link #forwardKl(float[], float)}, times weight in the gradient. */
    static LogitLoss forwardKl(float[] teacherLogits, float tau, float weight) {
        return (logits, batch, vocab) -> {
            boolean[] valid = batch.realMask();
            double loss = KlDivergence.forward(logits, teacherLogits, valid, batch.tokens(), vocab, tau);
            KlDivergence.backward(logits, logits, teacherLogits, valid, batch.tokens(), vocab, tau, weight, false);
            return loss;
        };
    }
}
