package minitron4j.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import minitron4j.kernels.Attention;
import minitron4j.kernels.AttentionReference;
import minitron4j.kernels.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Causal attention of one training layer, forward (probabilities kept) and backward, as
 * {@link Attention} computes it (gemm products over query blocks) and as {@link AttentionReference}
 * does (one dot product per query and key): the ratio of the two scores, measured in the same run,
 * is the speed-up. Shape: batch x seq tokens, 6 query heads over 2 KV heads of 64 channels (the
 * 11M model of training/docs). Run, for example:
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AttentionBenchmark -p seq=128,512,1024
 * </pre>
 * The score is layers per second; tokens per second = score * batch * seq.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 2)
public class AttentionBenchmark {
    @Param({"128", "512", "1024"})
    public int seq;

    @Param({"gemm", "reference"})
    public String impl;

    @Param({"0"})
    public int threads;

    private static final int HEADS = 6, KV_HEADS = 2, HEAD_DIM = 64, TOKENS = 4096;

    private Attention.Shape shape;
    private float[] q, k, v, out, probs, dout, dq, dk, dv;

    @Setup
    public void setUp() {
        if (threads > 0) Parallel.setThreads(threads);
        int batch = Math.max(1, TOKENS / seq);
        shape = new Attention.Shape(batch, seq, HEADS, KV_HEADS, HEAD_DIM, 0, seq * KV_HEADS * HEAD_DIM);
        Random r = new Random(1);
        q = random(r, batch * seq * HEADS * HEAD_DIM);
        k = random(r, batch * seq * KV_HEADS * HEAD_DIM);
        v = random(r, k.length);
        dout = random(r, q.length);
        out = new float[q.length];
        dq = new float[q.length];
        dk = new float[k.length];
        dv = new float[k.length];
        probs = new float[batch * HEADS * seq * seq];
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = r.nextFloat() - 0.5f;
        return x;
    }

    /** One layer's attention forward and backward over TOKENS tokens. */
    @Benchmark
    public float forwardAndBackward() {
        if (impl.equals("gemm")) {
            Attention.forward(out, probs, q, k, v, null, shape);
            Attention.backward(dq, dk, dv, dout, probs, q, k, v, shape);
        } else {
            AttentionReference.forward(out, probs, q, k, v, null, shape);
            AttentionReference.backward(dq, dk, dv, dout, probs, q, k, v, shape);
        }
        return dq[0];
    }
}
