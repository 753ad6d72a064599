package minitron4j.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minitron4j.kernels.Gemm;
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

/**
 * Throughput of {@link Gemm#sgemm} on the products of training: each layer shape (rows x out x in)
 * as its forward (NT), dX (NN) and dW (TN) product, see {@link GemmShape}.
 *
 * <p>Reading the result: the primary score {@code GemmBenchmark.sgemm} is calls per second; the
 * secondary row {@code GemmBenchmark.sgemm:gflop} is the same measurement in GFLOP/s (each call
 * counts 2*m*n*k / 1e9). Run, for example:
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GemmBenchmark -p layer=1024x1024x1024 -p op=NT,NN,TN
 * </pre>
 * {@code -p threads=1} measures one core; the default 0 keeps the pool at all cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
// The Vector API is slow until C2 has compiled the micro-kernel; the warm-up covers that.
@Warmup(iterations = 4, time = 3)
@Measurement(iterations = 5, time = 2)
public class GemmBenchmark {
    @Param({"1024x1024x1024", "4096x512x512", "4096x2048x512", "4096x512x2048", "4096x8192x256"})
    public String layer;

    @Param({"NT", "NN", "TN"})
    public String op;

    @Param({"0"})
    public int threads;

    private GemmShape shape;
    private float[] a, b, c;

    /** GFLOP done in the iteration; JMH divides by the iteration's time, giving GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (threads > 0) Parallel.setThreads(threads);
        shape = GemmShape.parse(op, layer);
        Random rnd = new Random(42);
        a = random(rnd, shape.m() * shape.k());
        b = random(rnd, shape.k() * shape.n());
        c = new float[shape.m() * shape.n()];
    }

    @Benchmark
    public float[] sgemm(Flops flops) {
        GemmShape s = shape;
        Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), a, 0, s.lda(), b, 0, s.ldb(), 0f, c, 0, s.n());
        flops.gflop += s.flops() * 1e-9;
        return c;
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }
}
