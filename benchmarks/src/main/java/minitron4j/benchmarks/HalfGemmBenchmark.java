package minitron4j.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import minitron4j.kernels.Gemm;
import minitron4j.kernels.HalfFloat;
import minitron4j.kernels.Parallel;
import minitron4j.kernels.WeightMatrix;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of {@link Gemm#linear(float[], float[], WeightMatrix, int)} with weights as stored:
 * fp32 on the heap against bf16 (or f16) bytes off-heap, as a mapped checkpoint would be. The
 * shapes (rows x out x in) are a Nemotron MLP's: decoding one token through the up projection
 * (1x9216x3072) and the down projection (1x3072x9216), and a 512-token prefill (512x9216x3072).
 *
 * <p>Reading the result: the primary score is calls per second; {@code :gflop} is GFLOP/s (2*m*n*k
 * a call), the measure for prefill; {@code :gbyte} is GB/s of weight bytes (n*k times 2 or 4 a
 * call), the measure for decoding, which streams the weights once and is bound by memory. Run:
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar HalfGemmBenchmark -p dtype=f32,bf16
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
// The Vector API is slow until C2 has compiled the kernels; the warm-up covers that.
@Warmup(iterations = 4, time = 3)
@Measurement(iterations = 5, time = 2)
public class HalfGemmBenchmark {
    @Param({"1x9216x3072", "1x3072x9216", "512x9216x3072"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private int rows, out, in;
    private float[] x, y;
    private WeightMatrix w;
    private Arena arena;

    /** GFLOP and GB of weights read in the iteration; JMH divides by its time, giving rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        public double gflop, gbyte;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
            gbyte = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        if (threads > 0) Parallel.setThreads(threads);
        String[] d = shape.split("x");
        if (d.length != 3) throw new IllegalArgumentException("shape must be rows x out x in like 512x9216x3072, got " + shape);
        rows = Integer.parseInt(d[0]);
        out = Integer.parseInt(d[1]);
        in = Integer.parseInt(d[2]);
        Random rnd = new Random(42);
        x = random(rnd, rows * in);
        y = new float[rows * out];
        float[] weights = random(rnd, out * in);
        w = switch (dtype) {
            case "f32" -> WeightMatrix.of(weights, out, in);
            case "bf16", "f16" -> {
                HalfFloat format = dtype.equals("bf16") ? HalfFloat.BF16 : HalfFloat.F16;
                arena = Arena.ofShared();
                MemorySegment seg = arena.allocate(2L * out * in, 64);
                var le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < weights.length; i++) seg.set(le, 2L * i, format.fromFloat(weights[i]));
                yield WeightMatrix.of(seg, format, out, in);
            }
            default -> throw new IllegalArgumentException("dtype must be f32, bf16 or f16, got " + dtype);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) arena.close();
    }

    @Benchmark
    public float[] linear(Rates rates) {
        Gemm.linear(y, x, w, rows);
        rates.gflop += 2.0 * rows * out * in * 1e-9;
        rates.gbyte += (double) out * in * (w instanceof WeightMatrix.F32 ? 4 : 2) * 1e-9;
        return y;
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return v;
    }
}
