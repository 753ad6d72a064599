package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainingSummary;
import minitron4j.training.task.FineTuner;
import minitron4j.training.task.FinetuneSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Trains a task head (and the model under it) on labeled JSONL; --resume continues a run exactly. */
@Command(name = "finetune", description = "Fine-tune a sequence-classification, question-answering or token-classification head on labeled JSONL.")
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--task", description = "sequence-classification | question-answering | token-classification")
    String task;
    @Option(names = "--model", description = "checkpoint to start from (a causal LM, a base model, or a model of this task)")
    Path model;
    @Option(names = "--data", description = "labeled JSONL: {text, label} | {question, context, answer, answer_start} | {tokens, tags}")
    Path data;
    @Option(names = "--val", description = "held-out labeled JSONL, validated every --eval-interval steps")
    Path val;
    @Option(names = "--out", description = "run folder (log.jsonl, checkpoints/step-N: HF checkpoints of the task's class)")
    Path out;
    @Option(names = "--resume", description = "run folder to continue from its latest checkpoint")
    Path resume;
    @Option(names = "--seed", defaultValue = "0", description = "head initialisation, example order and dropout (default ${DEFAULT-VALUE})")
    long seed;
    @Mixin
    FinetuneOptions training;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (resume == null && (task == null || model == null || data == null || out == null))
            throw new IllegalArgumentException("give --task, --model, --data and --out (or --resume RUN_DIR)");
        FinetuneSpec spec = task == null ? null : training.spec(task, model, data, val, seed, threads.given());
        TrainingSummary s = FineTuner.run(spec, resume != null ? resume : out, resume != null,
                TrainOptions.defaults().withBackend(backend.backend()));
        ObjectNode o = JsonOutput.object();
        o.put("steps", s.steps());
        s.lastMetrics().forEach(o::put);
        s.lastValidation().forEach(o::put);
        if (s.lastCheckpoint() != null) o.put("checkpoint", s.lastCheckpoint().toString());
        JsonOutput.print(o);
        return 0;
    }
}
