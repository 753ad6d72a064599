package minitron4j.benchmarks;

import minitron4j.kernels.Parallel;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One cross-entropy training step (forward, loss, backward into the gradient pool) of a Nemotron
 * model, in steps/s, with secondary rows {@code tokens} (tokens/s) and {@code gflop} (GFLOP/s,
 * counting 3 x the forward's matmul and attention FLOPs, as the trainer does). Compare the GFLOP/s
 * with {@link GemmBenchmark} at 1024^3 in the same session:
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar 'TrainingStepBenchmark|GemmBenchmark' -p layer=1024x1024x1024 -p op=NT
 * </pre>
 * The default shape is the demo's teacher (hidden 256, 4 layers, 8/4 heads, ffn 1024, vocab 2048)
 * at [16, 128]; {@code -p model=384x6x1536x4096} is the ~12M model of the training notes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class TrainingStepBenchmark {
    /** hidden x layers x ffn x vocab (head_dim 64 when hidden >= 384, else 32; KV heads = heads / 2). */
    @Param({CeTrainingStep.DEMO_TEACHER})
    public String model;

    @Param({"16x128"})
    public String batch;

    @Param({"0"})
    public int threads;

    private CeTrainingStep step;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public double gflop;
        public double tokens;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
            tokens = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (threads > 0) Parallel.setThreads(threads);
        step = new CeTrainingStep(model, batch);
    }

    @Benchmark
    public double step(Work work) {
        double loss = step.run();
        work.gflop += step.flops * 1e-9;
        work.tokens += step.tokens();
        return loss;
    }
}
