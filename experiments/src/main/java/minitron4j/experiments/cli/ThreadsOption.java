package minitron4j.experiments.cli;

import minitron4j.kernels.Parallel;
import picocli.CommandLine.Option;

/** {@code --threads N} for every compute command (default: all cores). */
public final class ThreadsOption {
    private Integer threads;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    void setThreads(int threads) {
        Parallel.setThreads(threads);
        this.threads = threads;
    }

    /** The count given on the command line, or null when left to the default. */
    Integer given() {
        return threads;
    }
}
