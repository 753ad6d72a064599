package minitron4j.training;

import minitron4j.model.Nemotron;

/**
 * How {@link Trainer#run(TrainSpec, java.nio.file.Path, boolean, TrainOptions)} runs beyond the
 * spec: the objective (cross-entropy by default; distillation passes its own), the validation
 * (val_ce_loss and val_ppl by default), a listener of log rows, and whether to draw a progress bar
 * on stderr.
 */
public record TrainOptions(ObjectiveFactory objective, ValidationFactory validation, TrainingListener listener,
                           boolean progressBar) {

    /** Builds the objective for the trained model, with buffers for micro-batches of [batch, seqLen]. */
    @FunctionalInterface
    public interface ObjectiveFactory {
        Objective create(Nemotron model, int batch, int seqLen);
    }

    /** Builds the validation of the trained model on the data (its val split); called once per run. */
    @FunctionalInterface
    public interface ValidationFactory {
        Validation create(Nemotron model, TokenData data, TrainSpec spec);
    }

    /** Cross-entropy, CE validation, no listener, a progress bar. */
    public static TrainOptions defaults() {
        return new TrainOptions(CrossEntropyObjective::new, Trainer::crossEntropyValidation, row -> {}, true);
    }

    public TrainOptions withObjective(ObjectiveFactory f) {
        return new TrainOptions(f, validation, listener, progressBar);
    }

    public TrainOptions withValidation(ValidationFactory f) {
        return new TrainOptions(objective, f, listener, progressBar);
    }

    public TrainOptions withListener(TrainingListener l) {
        return new TrainOptions(objective, validation, l, progressBar);
    }

    public TrainOptions withProgressBar(boolean on) {
        return new TrainOptions(objective, validation, listener, on);
    }
}
