package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.bench.BackendBench;
import minitron4j.experiments.bench.BenchShape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Speed of a backend: matmul probe, KD training step, teacher forward and decoding, with random weights. */
@Command(name = "bench", description = "Tokens/s, ms per stage and TFLOP/s of a KD training step, the teacher's forward and"
        + " decoding, and a matmul probe, on a backend at a named shape (random weights).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--shape", defaultValue = "anchor", description = "anchor (issue 6: teacher 1024 x 12 layers, student 768,"
            + " vocab 32000, 8 x 512), small or tiny (default ${DEFAULT-VALUE})")
    String shape;
    @Option(names = "--steps", defaultValue = "5", description = "timed KD steps after an untimed one (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--matmul", defaultValue = "2048", description = "matmul probe size n (n x n x n; 0: none; default ${DEFAULT-VALUE})")
    int matmul;
    @Option(names = "--matmul-repeats", defaultValue = "10", description = "timed calls per matmul kernel (default ${DEFAULT-VALUE})")
    int matmulRepeats;
    @Option(names = "--prompt", defaultValue = "16", description = "decode prompt length (default ${DEFAULT-VALUE})")
    int prompt;
    @Option(names = "--decode-tokens", defaultValue = "32", description = "tokens decoded one at a time (0: none; default ${DEFAULT-VALUE})")
    int decodeTokens;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the weights and token ids (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--json", description = "print the results as one JSON object, the last stdout line")
    boolean json;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() {
        var settings = new BackendBench.Settings(BenchShape.named(shape), steps, matmul, matmulRepeats, prompt, decodeTokens, seed);
        ObjectNode report = new BackendBench(backend.backend(), settings, System.err).run();
        if (json) JsonOutput.print(report);
        else System.out.println(report.toPrettyString());
        return 0;
    }
}
