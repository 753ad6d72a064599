package minitron4j.distillation;

import minitron4j.model.Batch;

/**
 * Where a distillation step gets the teacher's logits for its micro-batch: a frozen model run
 * forward ({@link FrozenTeacher}), or logits computed elsewhere (precomputed files, the HF fixtures).
 */
@FunctionalInterface
public interface TeacherLogits {

    /** The teacher's logits [N, V] for batch; the array may be reused by the next call, and is never written by the caller. */
    float[] logits(Batch batch);

    /** Floating-point operations of one call, for GFLOP/s (0 when the logits cost nothing here). */
    default double flopsPerBatch() {
        return 0;
    }
}
