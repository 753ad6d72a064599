package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.kernels.Parallel;
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
    @Option(names = "--steps", defaultValue = "200", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--batch", defaultValue = "8", description = "examples per step (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--seq-len", defaultValue = "128", description = "tokens per example, longer ones cut (default ${DEFAULT-VALUE})")
    int seqLen;
    @Option(names = "--lr", defaultValue = "5e-5", description = "peak learning rate (default ${DEFAULT-VALUE}, HF Trainer's)")
    double lr;
    @Option(names = "--warmup", defaultValue = "0", description = "linear warm-up steps before the cosine decay (default ${DEFAULT-VALUE})")
    int warmup;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "max gradient norm, 0 = off (default ${DEFAULT-VALUE})")
    double clip;
    @Option(names = "--seed", defaultValue = "0", description = "head initialisation, example order and dropout (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--eval-interval", defaultValue = "50", description = "validate every so many steps (default ${DEFAULT-VALUE})")
    int evalInterval;
    @Option(names = "--checkpoint-interval", defaultValue = "0", description = "checkpoint every so many steps; 0 = the last only")
    int checkpointInterval;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (resume == null && (task == null || model == null || data == null || out == null))
            throw new IllegalArgumentException("give --task, --model, --data and --out (or --resume RUN_DIR)");
        FinetuneSpec spec = task == null ? null : new FinetuneSpec(task, model, data, val, steps, batch, seqLen, lr, warmup, weightDecay,
                clip, seed, evalInterval, checkpointInterval, threads.given() != null ? threads.given() : Parallel.threads());
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
