package minitron4j.experiments.cli;

import minitron4j.kernels.Parallel;
import minitron4j.training.task.FinetuneSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The training options of finetune and finetune-compare. The learning rate's default suits the
 * demo's small models; released checkpoints usually fine-tune at 1e-5 to 5e-5.
 */
public final class FinetuneOptions {
    @Option(names = "--steps", defaultValue = "200", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--batch", defaultValue = "16", description = "examples per step (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--seq-len", defaultValue = "128", description = "tokens per example, longer ones cut (default ${DEFAULT-VALUE})")
    int seqLen;
    @Option(names = "--lr", defaultValue = "5e-4", description = "peak learning rate (default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--warmup", defaultValue = "10", description = "linear warm-up steps before the cosine decay (default ${DEFAULT-VALUE})")
    int warmup;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default ${DEFAULT-VALUE})")
    double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "max gradient norm, 0 = off (default ${DEFAULT-VALUE})")
    double clip;
    @Option(names = "--eval-interval", defaultValue = "50", description = "validate every so many steps (default ${DEFAULT-VALUE})")
    int evalInterval;
    @Option(names = "--checkpoint-interval", defaultValue = "0", description = "checkpoint every so many steps; 0 = the last only")
    int checkpointInterval;

    /** The run these options describe, threads given or all cores. */
    FinetuneSpec spec(String task, Path model, Path data, Path val, long seed, Integer threads) {
        return new FinetuneSpec(task, model, data, val, steps, batch, seqLen, lr, warmup, weightDecay, clip, seed, evalInterval,
                checkpointInterval, threads != null ? threads : Parallel.threads());
    }
}
