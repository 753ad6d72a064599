package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainSpec;
import minitron4j.training.Trainer;
import minitron4j.training.TrainingSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Trains a model from a spec (JSON or YAML); --resume continues a run folder exactly. */
@Command(name = "train", description = "Train (or continue training) a model with cross-entropy from a spec file.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "spec file (JSON or YAML); optional with --resume")
    Path config;
    @Option(names = "--out", description = "run folder (default: the spec's out)")
    Path out;
    @Option(names = "--resume", description = "run folder to continue from its latest checkpoint")
    Path resume;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (config == null && resume == null) throw new IllegalArgumentException("give --config SPEC or --resume RUN_DIR");
        TrainSpec spec = config == null ? null : TrainSpec.load(config);
        if (spec != null && threads.given() != null) spec = spec.withThreads(threads.given());
        TrainOptions options = TrainOptions.defaults().withBackend(backend.backend());
        TrainingSummary s = Trainer.run(spec, resume != null ? resume : out, resume != null, options);
        ObjectNode o = JsonOutput.object();
        o.put("steps", s.steps());
        s.lastMetrics().forEach(o::put);
        s.lastValidation().forEach(o::put);
        o.put("tokens_per_s", s.tokensPerSecond());
        o.put("gflops", s.gflopsPerSecond());
        if (s.lastCheckpoint() != null) o.put("checkpoint", s.lastCheckpoint().toString());
        JsonOutput.print(o);
        return 0;
    }
}
