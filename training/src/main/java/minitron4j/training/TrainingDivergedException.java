package minitron4j.training;

import java.nio.file.Path;

/**
 * A loss, gradient or parameter became NaN or infinite. The run stopped before writing anything
 * from the bad step; {@link #lastCheckpoint()} (null if none was written yet) is intact.
 */
public final class TrainingDivergedException extends RuntimeException {
    private final int step;
    private final String culprit;
    private final Path lastCheckpoint;

    public TrainingDivergedException(int step, String culprit, Path lastCheckpoint) {
        super("step " + step + ": " + culprit + "; training stopped. "
                + (lastCheckpoint == null ? "No checkpoint was written yet."
                : "The last good checkpoint is " + lastCheckpoint + " (--resume continues from it; a lower lr or clip may help)."));
        this.step = step;
        this.culprit = culprit;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** The optimizer step (1-based) whose loss or gradients were not finite. */
    public int step() {
        return step;
    }

    /** What was not finite, naming the tensor and entry, e.g. "gradient model.norm.weight[3] = NaN". */
    public String culprit() {
        return culprit;
    }

    public Path lastCheckpoint() {
        return lastCheckpoint;
    }
}
