package minitron4j.experiments.cli;

import minitron4j.kernels.Parallel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --threads N} for every compute command (default: all cores). */
public final class ThreadsOption {
    private Integer threads;
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    void setThreads(int threads) {
        if (threads < 1) throw new ParameterException(command.commandLine(), "--threads must be >= 1, got " + threads);
        Parallel.setThreads(threads);
        this.threads = threads;
    }

    /** The count given on the command line, or null when left to the default. */
    Integer given() {
        return threads;
    }
}
