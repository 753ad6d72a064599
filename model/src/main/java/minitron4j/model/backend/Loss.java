package minitron4j.model.backend;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.LayerPair;

import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link Backend.Training} minimises, one micro-batch at a time: next-token cross-entropy,
 * or distillation from a teacher the backend holds beside the student. Every backend takes every
 * loss it does not refuse through {@link Backend#unsupported}.
 */
public sealed interface Loss permits Loss.CrossEntropy, Loss.Distillation, Loss.TaskHead {
    /** JSONL keys of the values a step returns (../shared/docs/INTERFACES.md, "Losses"). */
    String CE_LOSS = "ce_loss", OBJECTIVE = "objective", IS_LOSS = "is_loss", TASK_LOSS = "task_loss";

    /** The JSONL keys of the values {@link Backend.Training#accumulate} returns; the first is the objective minimised. */
    List<String> metrics();

    /** HF's causal-LM loss: next-token cross-entropy over the predicted positions. */
    static Loss crossEntropy() {
        return new CrossEntropy();
    }

    /** Next-token cross-entropy; logs {@code ce_loss}. */
    record CrossEntropy() implements Loss {
        @Override
        public List<String> metrics() {
            return List.of(CE_LOSS);
        }
    }

    /**
     * The loss of the model's task head ({@link minitron4j.model.loss.HeadLoss}: sequence
     * classification, question answering or token classification, by the config's class) against
     * the targets each batch carries; logs {@code task_loss}.
     */
    record TaskHead() implements Loss {
        @Override
        public List<String> metrics() {
            return List.of(TASK_LOSS);
        }

        /** Refuses a model without a task head (the causal LM trains on CE, the base model has no loss). */
        public void checkModel(NemotronConfig config) {
            if (config.architecture().task() == null)
                throw new IllegalArgumentException(config.architecture().hfName() + " has no task head to train");
        }
    }

    /**
     * Distillation: per micro-batch the teacher's forward pass, then {@code L_logits + alpha L_is}
     * on the student, where L_logits = {@link DistillationLoss} (a logit loss of its kind plus
     * ce_weight times the CE) and L_is the {@link minitron4j.model.loss.IntermediateStateLoss} over
     * the pairs (none: alpha L_is = 0), alpha = L_logits / L_is held constant in the gradient.
     * Logs {@code objective}, the logit loss under its kind's name, {@code ce_loss} (computed at
     * any ce_weight), and {@code is_loss} when there are pairs.
     *
     * @param teacher        the frozen teacher, same vocabulary as the student
     * @param logitLoss      the loss on the logits
     * @param intermediate   (student, teacher) hidden-state pairs of the intermediate-state loss; empty for none
     * @param projectionSeed seed of the learned projections' initial values (pairs of unequal widths)
     */
    record Distillation(Parameters teacher, DistillationLoss logitLoss, List<LayerPair> intermediate, long projectionSeed)
            implements Loss {
        public Distillation {
            if (teacher == null || logitLoss == null) throw new IllegalArgumentException("distillation needs a teacher and a logit loss");
            intermediate = List.copyOf(intermediate);
        }

        /** The paper's best: forward KL at tau, no CE term, no intermediate-state loss. */
        public static Distillation forwardKl(Parameters teacher, double tau) {
            return new Distillation(teacher, DistillationLoss.forwardKl(tau), List.of(), 0);
        }

        /** Refuses a student whose vocabulary differs from the teacher's: the losses compare logits token by token. */
        public void checkTeacher(NemotronConfig student) {
            if (teacher.config().vocabSize() != student.vocabSize())
                throw new IllegalArgumentException("the teacher's vocab_size " + teacher.config().vocabSize() + " differs from the student's "
                        + student.vocabSize() + "; distillation compares logits token by token");
        }

        @Override
        public List<String> metrics() {
            List<String> m = new ArrayList<>(List.of(OBJECTIVE, logitLoss.kind().metric(), CE_LOSS));
            if (!intermediate.isEmpty()) m.add(IS_LOSS);
            return List.copyOf(m);
        }
    }
}
