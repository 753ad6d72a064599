package minitron4j.api;

import java.io.IOException;
import java.nio.file.Path;
import minitron4j.distillation.DistillOptions;
import minitron4j.distillation.Distiller;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.pruning.Pruning;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainingListener;
import minitron4j.training.TrainingSummary;
import minitron4j.training.task.FineTuner;
import minitron4j.training.task.FinetuneSpec;

/**
 * The Java entry surface of minitron4j, the same road the command line takes: pick a
 * {@link Backend}, {@link #open} a checkpoint folder on it (then generate, score, evaluate with the
 * {@link OpenModel}), {@link #prune} by importance scores, {@link #distill} a student from its
 * teacher, {@link #finetune} a task head (then classify, answer or tag with the {@link OpenModel}). Every pass runs on the backend given; nothing else computes.
 */
public final class Minitron {
    private Minitron() {}

    /** The backend of that name: {@code cpu}, or {@code tornado} where the TornadoVM backend is on the class path. */
    public static Backend backend(String name) {
        return Backends.get(name);
    }

    /**
     * Opens the HF checkpoint in dir (config.json, safetensors, and tokenizer.json when present) on
     * the backend, the weights kept as the backend reads them (bf16 stays bf16 on the CPU).
     *
     * @throws IOException when a file cannot be read; a malformed one gives the format's own error
     */
    public static OpenModel open(Path dir, Backend backend) throws IOException {
        return OpenModel.open(dir, backend);
    }

    /**
     * Writes to out the model in modelDir pruned to target: the units to keep chosen by the
     * importance scores in scoresFile ({@link OpenModel#importance}, written with
     * {@code ImportanceScores.write}). The checkpoint is cut a row at a time, so memory stays small
     * at any model size. Returns the plan (what was kept).
     */
    public static PruningPlan prune(Path modelDir, Path scoresFile, PruningTarget target, Path out) throws IOException {
        return Pruning.prune(modelDir, scoresFile, target, PruningOptions.defaults(), out);
    }

    /**
     * Fine-tunes a task head on labeled JSONL as {@code minitron4j finetune} does (spec names the
     * task, the starting checkpoint, the data and the training options) into the run folder out;
     * resume continues a run from its last checkpoint (spec may then be null). The last checkpoint
     * is a model of the task's class that {@link #open} reads.
     */
    public static TrainingSummary finetune(FinetuneSpec spec, Path out, boolean resume, Backend backend) throws IOException {
        return FineTuner.run(spec, out, resume, TrainOptions.defaults().withBackend(backend).withProgressBar(false));
    }

    /**
     * Distils the student in studentDir from the teacher in teacherDir on the token data in dataDir
     * (a folder {@code minitron4j data} wrote), into the run folder out (checkpoints, log.jsonl,
     * loss.png); resume continues a run from its last checkpoint.
     */
    public static TrainingSummary distill(Path teacherDir, Path studentDir, Path dataDir, DistillOptions options,
                                          Path out, boolean resume, Backend backend) throws IOException {
        TrainingListener quiet = row -> {};
        return Distiller.distill(teacherDir, studentDir, dataDir, options, out, resume, quiet, backend);
    }
}
