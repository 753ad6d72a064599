package minitron4j.training;

import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;

/**
 * How {@link Trainer#run(TrainSpec, java.nio.file.Path, boolean, TrainOptions)} runs beyond the
 * spec: a listener of log rows, whether to draw a progress bar on stderr, and the backend the
 * steps and validation run on (the CPU by default).
 */
public record TrainOptions(TrainingListener listener, boolean progressBar, Backend backend) {
    public TrainOptions {
        if (backend == null) throw new IllegalArgumentException("no backend: the CPU's is new CpuBackend()");
    }

    /** No listener, a progress bar, the CPU. */
    public static TrainOptions defaults() {
        return new TrainOptions(row -> {}, true, new CpuBackend());
    }

    public TrainOptions withListener(TrainingListener l) {
        return new TrainOptions(l, progressBar, backend);
    }

    public TrainOptions withProgressBar(boolean on) {
        return new TrainOptions(listener, on, backend);
    }

    /** Steps and validation on this backend. */
    public TrainOptions withBackend(Backend b) {
        return new TrainOptions(listener, progressBar, b);
    }
}
