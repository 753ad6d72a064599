package minitron4j.training;

import minitron4j.model.Nemotron;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;

/**
 * How {@link Trainer#run(TrainSpec, java.nio.file.Path, boolean, TrainOptions)} runs beyond the
 * spec: the objective (cross-entropy by default), the validation (val_ce_loss and val_ppl by
 * default), a listener of log rows, whether to draw a progress bar on stderr, and the backend (the
 * CPU by default). Cross-entropy with its validation runs on any backend through its
 * {@link Backend.Training} ({@link BackendSteps}); another objective or validation is host code
 * over the model, which needs a backend that {@link Backend#runsHostObjectives() runs host objectives}.
 */
public record TrainOptions(ObjectiveFactory objective, ValidationFactory validation, TrainingListener listener,
                           boolean progressBar, Backend backend) {
    public TrainOptions {
        if (backend == null) throw new IllegalArgumentException("no backend: the CPU's is new CpuBackend()");
        if (!backend.runsHostObjectives() && !crossEntropyOnly(objective, validation))
            throw new IllegalArgumentException("--backend " + backend.name() + " trains with cross-entropy and its CE validation only");
    }

    /** Whether the objective and validation are the defaults, which every backend runs itself. */
    public boolean crossEntropyOnly() {
        return crossEntropyOnly(objective, validation);
    }

    private static boolean crossEntropyOnly(ObjectiveFactory objective, ValidationFactory validation) {
        return objective == CROSS_ENTROPY && validation == CE_VALIDATION;
    }

    private static final ObjectiveFactory CROSS_ENTROPY = CrossEntropyObjective::new;
    private static final ValidationFactory CE_VALIDATION =
            (model, data, spec) -> Trainer.crossEntropyValidation(new Evaluator(model, spec.seqLen(), spec.batch()), data, spec);

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

    /** Cross-entropy, CE validation, no listener, a progress bar, the CPU. */
    public static TrainOptions defaults() {
        return new TrainOptions(CROSS_ENTROPY, CE_VALIDATION, row -> {}, true, new CpuBackend());
    }

    public TrainOptions withObjective(ObjectiveFactory f) {
        return new TrainOptions(f, validation, listener, progressBar, backend);
    }

    public TrainOptions withValidation(ValidationFactory f) {
        return new TrainOptions(objective, f, listener, progressBar, backend);
    }

    public TrainOptions withListener(TrainingListener l) {
        return new TrainOptions(objective, validation, l, progressBar, backend);
    }

    public TrainOptions withProgressBar(boolean on) {
        return new TrainOptions(objective, validation, listener, on, backend);
    }

    /** Steps and validation on this backend. */
    public TrainOptions withBackend(Backend b) {
        return new TrainOptions(objective, validation, listener, progressBar, b);
    }
}
