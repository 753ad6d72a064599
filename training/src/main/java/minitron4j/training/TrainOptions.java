package minitron4j.training;

import minitron4j.model.Nemotron;

/**
 * How {@link Trainer#run(TrainSpec, java.nio.file.Path, boolean, TrainOptions)} runs beyond the
 * spec: the objective (cross-entropy by default; distillation passes its own), a listener of log
 * rows, and whether to draw a progress bar on stderr.
 */
public record TrainOptions(ObjectiveFactory objective, TrainingListener listener, boolean progressBar) {

    /** Builds the objective for the trained model, with buffers for micro-batches of [batch, seqLen]. */
    @FunctionalInterface
    public interface ObjectiveFactory {
        Objective create(Nemotron model, int batch, int seqLen);
    }

    /** Cross-entropy, no listener, a progress bar. */
    public static TrainOptions defaults() {
        return new TrainOptions(CrossEntropyObjective::new, row -> {}, true);
    }

    public TrainOptions withObjective(ObjectiveFactory f) {
        return new TrainOptions(f, listener, progressBar);
    }

    public TrainOptions withListener(TrainingListener l) {
        return new TrainOptions(objective, l, progressBar);
    }

    public TrainOptions withProgressBar(boolean on) {
        return new TrainOptions(objective, listener, on);
    }
}
