package minitron4j.distillation;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;
import minitron4j.training.Objective;
import minitron4j.training.TrainableTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Knowledge distillation as a training {@link Objective}: per micro-batch the teacher's logits
 * (a frozen model run forward, or any {@link TeacherLogits}), the student's training forward, the
 * {@link DistillationLoss} on the logits and, when asked, the {@link IntermediateStateLoss}
 * weighted by alpha = L_logits / L_is (recomputed every micro-batch, held constant in the
 * gradient as a detached weight; 0 when L_is is 0), then one backward pass of the student.
 *
 * <p>Metrics, in order: {@code objective} (= L_logits + alpha L_is, where L_logits =
 * logit loss + ce_weight * ce_loss), the logit loss under its kind's name ({@code kd_loss} for
 * forward KL), {@code ce_loss}, and {@code is_loss} when the intermediate-state loss is on.
 */
public final class DistillationObjective implements Objective {
    public static final String OBJECTIVE = "objective";
    public static final String CE_LOSS = "ce_loss";
    public static final String IS_LOSS = "is_loss";

    private final Nemotron student;
    private final TeacherLogits teacher;
    private final DistillationLoss loss;
    private final IntermediateStateLoss intermediate;
    private final Activations acts;
    private final List<String> metrics;
    private final double flops;

    /**
     * Buffers for micro-batches of [batch, seqLen] are allocated here, once.
     *
     * @param intermediate the intermediate-state loss, or null; its teacher must be {@code teacher}
     */
    public DistillationObjective(Nemotron student, TeacherLogits teacher, DistillationLoss loss,
                                 IntermediateStateLoss intermediate, int batch, int seqLen) {
        if (intermediate != null && intermediate.teacher() != teacher)
            throw new IllegalArgumentException("the intermediate-state loss reads another teacher than the one giving the logits");
        if (teacher instanceof FrozenTeacher f && f.config().vocabSize() != student.config().vocabSize())
            throw new IllegalArgumentException("teacher vocab_size " + f.config().vocabSize() + " differs from the student's "
                    + student.config().vocabSize() + "; distillation compares logits token by token");
        this.student = student;
        this.teacher = teacher;
        this.loss = loss;
        this.intermediate = intermediate;
        this.acts = student.trainingActivations(batch, seqLen);
        List<String> m = new ArrayList<>(List.of(OBJECTIVE, loss.kind().metric(), CE_LOSS));
        if (intermediate != null) m.add(IS_LOSS);
        this.metrics = List.copyOf(m);
        // the student's backward costs about twice its forward; the teacher runs forward only
        this.flops = 3 * Nemotron.forwardFlops(student.config(), batch, seqLen) + teacher.flopsPerBatch();
    }

    /** Logit distillation alone (no intermediate-state loss). */
    public DistillationObjective(Nemotron student, TeacherLogits teacher, DistillationLoss loss, int batch, int seqLen) {
        this(student, teacher, loss, null, batch, seqLen);
    }

    @Override
    public List<String> metrics() {
        return metrics;
    }

    @Override
    public double[] accumulate(Batch batch, Parameters grads, float weight) {
        float[] teacherLogits = teacher.logits(batch);
        student.forward(batch, acts, intermediate == null ? null : intermediate.studentObserver());
        DistillationLoss.Values v = loss.lossAndGradient(acts.logits(), teacherLogits, batch,
                student.config().vocabSize(), weight);
        if (intermediate == null) {
            student.backward(batch, acts, acts.logits(), grads);
            return new double[]{v.objective(), v.logitLoss(), v.ceLoss()};
        }
        double is = intermediate.loss(batch, acts);
        double alpha = is == 0 ? 0 : v.objective() / is;
        student.backward(batch, acts, acts.logits(), grads, intermediate.gradient((float) (alpha * weight)));
        return new double[]{v.objective() + alpha * is, v.logitLoss(), v.ceLoss(), is};
    }

    @Override
    public double flopsPerMicroBatch() {
        return flops;
    }

    @Override
    public List<TrainableTensor> extraParameters() {
        return intermediate == null ? List.of() : intermediate.projections();
    }
}
