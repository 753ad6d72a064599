package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.bench.BackendBench;
import minitron4j.experiments.bench.BenchShape;
import minitron4j.experiments.bench.ReleasedShape;
import minitron4j.experiments.bench.ReleasedShapeBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Speed of a backend: matmul probe, KD training step, teacher forward and decoding, with random weights. */
@Command(name = "bench", description = "Tokens/s, ms per stage and TFLOP/s of a KD training step, the teacher's forward and"
        + " decoding, and a matmul probe, on a backend at a named shape (random weights).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--shape", defaultValue = "anchor", description = "anchor (issue 6: teacher 1024 x 12 layers, student 768,"
            + " vocab 32000, 8 x 512), small or tiny (default ${DEFAULT-VALUE}); or a released shape, minitron-4b |"
            + " minitron-8b | nemotron-4-15b: inference on the checkpoint --model (bf16, written by init when missing)")
    String shape;
    @Option(names = "--model", description = "with a released --shape: the checkpoint to measure (written first when missing)")
    Path model;
    @Option(names = "--prefill", defaultValue = "512", description = "with a released --shape: prompt length (default ${DEFAULT-VALUE})")
    int prefill;
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
    public Integer call() throws IOException {
        ReleasedShape released = ReleasedShape.find(shape);
        if (released != null) {
            if (model == null) throw new IllegalArgumentException("--shape " + shape + " measures a checkpoint: give --model DIR"
                    + " (a folder that does not exist yet gets random bf16 weights of that shape first)");
            var run = new ReleasedShapeBench(backend.backend(),
                    new ReleasedShapeBench.Settings(released, model, prefill, decodeTokens, seed), System.err);
            print(run.run());
            return 0;
        }
        var settings = new BackendBench.Settings(BenchShape.named(shape), steps, matmul, matmulRepeats, prompt, decodeTokens, seed);
        print(new BackendBench(backend.backend(), settings, System.err).run());
        return 0;
    }

    private void print(ObjectNode report) {
        if (json) JsonOutput.print(report);
        else System.out.println(report.toPrettyString());
    }
}
