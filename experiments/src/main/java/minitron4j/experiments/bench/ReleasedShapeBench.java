package minitron4j.experiments.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.kernels.Gemm;
import minitron4j.kernels.Parallel;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.RandomCheckpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.descriptive.rank.Median;

/**
 * Inference on a released shape (Minitron-4B, -8B) with the weights as stored, on one machine: load
 * time, prefill tokens/s at a long prompt against the fp32 sgemm rate of the layer's largest product,
 * decode tokens/s at batch 1 against the bandwidth roofline (weight bytes read per token over the
 * streaming read and copy rates measured in the same run), and the peak resident set. The checkpoint is one that
 * {@code init} wrote (written first when the folder does not exist).
 */
public final class ReleasedShapeBench {
    /** Bytes per thread of the streaming probes by default: far beyond the caches. */
    public static final long STREAM_BYTES_PER_THREAD = 512L << 20;
    /**
     * Decode is timed in rounds, each followed by a read probe: this machine's bandwidth moves by up
     * to half within a minute (other tenants), so a roofline measured minutes before the decode is
     * not the one the decode ran under.
     */
    private static final int DECODE_ROUNDS = 4;
    private static final int WARMUP_TOKENS = 4;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * streamBytesPerThread sizes the streaming probes at the start; the read probe after each decode
     * round reads a quarter of it (still far beyond the caches, and quick).
     */
    public record Settings(ReleasedShape shape, Path model, int prefill, int decodeTokens, long seed, long streamBytesPerThread) {
        public Settings(ReleasedShape shape, Path model, int prefill, int decodeTokens, long seed) {
            this(shape, model, prefill, decodeTokens, seed, STREAM_BYTES_PER_THREAD);
        }
    }

    private final Backend backend;
    private final Settings settings;
    private final PrintStream log;

    public ReleasedShapeBench(Backend backend, Settings settings, PrintStream log) {
        this.backend = backend;
        this.settings = settings;
        this.log = log;
    }

    public ObjectNode run() throws IOException {
        Path dir = settings.model();
        if (!Files.exists(dir)) {
            log.printf("bench: writing a random %s checkpoint (bf16) to %s first%n", settings.shape().id(), dir);
            RandomCheckpoint.write(dir, settings.shape().config(), Dtype.BF16, settings.seed());
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("backend", backend.name());
        o.put("shape", settings.shape().id());
        o.put("threads", Parallel.threads());

        // The streams and the sgemm first, so that their buffers are gone before the weights come in.
        double[] stream = streamingGbs(settings.streamBytesPerThread(), 8, true);
        o.put("stream_read_gb_s", stream[0]);
        o.put("stream_copy_gb_s", stream[1]);
        NemotronConfig shape = settings.shape().config();
        double sgemm = sgemmGflops(Math.min(settings.prefill(), 512), shape.intermediateSize(), shape.hiddenSize());

        long t0 = System.nanoTime();
        Checkpoint.LoadedModel loaded = Checkpoint.load(dir, backend.weightStorage());
        o.put("load_s", seconds(t0));
        o.put("dtype", loaded.dtype().name());
        NemotronConfig c = loaded.config();
        if (!c.equals(shape))
            log.printf("bench: %s is not exactly the %s config; measuring it as it is%n", dir, settings.shape().id());
        o.put("parameters", c.parameterCount());

        long bytesPerToken = decodeBytesPerToken(loaded.params(), loaded.dtype());
        o.put("decode_weight_bytes_per_token", bytesPerToken);

        SplittableRandom r = new SplittableRandom(settings.seed());
        int[] prompt = new int[settings.prefill()];
        for (int i = 0; i < prompt.length; i++) prompt[i] = r.nextInt(c.vocabSize());
        try (Backend.Session session = backend.open(loaded.params());
             Backend.Decoder decoder = session.decoder(prompt.length + settings.decodeTokens() + WARMUP_TOKENS)) {
            log.printf("bench: prefill of %d tokens...%n", prompt.length);
            t0 = System.nanoTime();
            float[] logits = decoder.append(prompt);
            double prefillS = seconds(t0);
            double prefillGflops = Nemotron.forwardFlops(c, 1, prompt.length) / prefillS / 1e9;
            ObjectNode p = o.putObject("prefill");
            p.put("tokens", prompt.length);
            p.put("seconds", prefillS);
            p.put("tokens_per_s", prompt.length / prefillS);
            p.put("gflops", prefillGflops);
            p.put("fp32_sgemm_gflops", sgemm);
            p.put("fraction_of_sgemm", prefillGflops / sgemm);

            if (settings.decodeTokens() > 0) decode(decoder, logits, bytesPerToken, stream, o.putObject("decode"));
        }
        o.put("peak_rss_gb", minitron4j.model.SystemMemory.peakResident() / 1e9);
        return o;
    }

    /** Decode tokens after the prompt, timed in rounds each paired with a read probe. */
    private void decode(Backend.Decoder decoder, float[] logits, long bytesPerToken, double[] stream, ObjectNode d) {
        log.printf("bench: decoding %d tokens...%n", settings.decodeTokens());
        // Untimed tokens first, so that the matrix-vector kernels are compiled (the prefill ran the packed product).
        for (int i = 0; i < WARMUP_TOKENS; i++) logits = decoder.append(new int[]{Sampler.argmax(logits, 0, logits.length)});
        d.put("tokens", settings.decodeTokens());
        ArrayNode rounds = d.putArray("rounds");
        double decodeS = 0;
        double[] fractions = new double[Math.min(DECODE_ROUNDS, settings.decodeTokens())];
        for (int round = 0; round < fractions.length; round++) {
            int tokens = settings.decodeTokens() * (round + 1) / fractions.length - settings.decodeTokens() * round / fractions.length;
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) logits = decoder.append(new int[]{Sampler.argmax(logits, 0, logits.length)});
            double seconds = seconds(t0);
            decodeS += seconds;
            double read = streamingGbs(settings.streamBytesPerThread() / 4, 3, false)[0];
            double weightGbs = tokens * bytesPerToken / seconds / 1e9;
            fractions[round] = weightGbs / read;
            rounds.addObject().put("tokens", tokens).put("weight_gb_s", weightGbs).put("stream_read_gb_s", read)
                    .put("fraction_of_roofline", fractions[round]);
        }
        double tokensPerS = settings.decodeTokens() / decodeS;
        d.put("tokens_per_s", tokensPerS);
        d.put("weight_gb_s", tokensPerS * bytesPerToken / 1e9);
        // A decode step only reads the weights, so its roofline is the read stream; the copy
        // (read + write bytes) is the other common yardstick, also given. Both against the
        // streams at the start of the run, and the read stream paired with each round.
        double roofline = stream[0] * 1e9 / bytesPerToken;
        d.put("roofline_tokens_per_s", roofline);
        d.put("fraction_of_roofline", tokensPerS / roofline);
        d.put("fraction_of_copy_roofline", tokensPerS * bytesPerToken / (stream[1] * 1e9));
        d.put("fraction_of_paired_roofline", new Median().evaluate(fractions));
    }

    /**
     * Bytes of weights one decoded token reads: every projection and the output head once, one
     * embedding row, the norms.
     */
    static long decodeBytesPerToken(Parameters p, Dtype dtype) {
        long bytes = 0;
        NemotronConfig c = p.config();
        for (String name : p.names()) {
            long n = minitron4j.model.Tensor.numel(p.shape(name));
            int elementBytes = p.isStored(name) ? 2 : 4;
            if (name.equals(Parameters.EMBED) && !c.tieWordEmbeddings()) n = c.hiddenSize();
            bytes += n * elementBytes;
        }
        return bytes;
    }

    /**
     * The machine's streaming bandwidth on every thread with bytesPerThread a thread, best of reps
     * (the first runs before the JIT has compiled the sum): [0] a read (a sum of floats, what a
     * decode step does with the weights), [1] a copy counted as bytes read plus bytes written
     * (STREAM's convention), only when copy (else NaN, and no destination buffers).
     */
    static double[] streamingGbs(long bytesPerThread, int reps, boolean copy) {
        int threads = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] src = new MemorySegment[threads], dst = new MemorySegment[threads];
            for (int t = 0; t < threads; t++) {
                src[t] = arena.allocate(bytesPerThread, 64).fill((byte) 1);
                if (copy) dst[t] = arena.allocate(bytesPerThread, 64).fill((byte) 0);
            }
            double read = 0, copied = copy ? 0 : Double.NaN;
            float[] sums = new float[threads];
            for (int rep = 0; rep < reps; rep++) {
                long t0 = System.nanoTime();
                Parallel.forEach(threads, t -> sums[t] += sum(src[t]));
                read = Math.max(read, (double) threads * bytesPerThread / seconds(t0) / 1e9);
                if (!copy) continue;
                t0 = System.nanoTime();
                Parallel.forEach(threads, t -> MemorySegment.copy(src[t], 0, dst[t], 0, bytesPerThread));
                copied = Math.max(copied, 2.0 * threads * bytesPerThread / seconds(t0) / 1e9);
            }
            if ((copy && dst[0].get(ValueLayout.JAVA_BYTE, 7) != 1) || Float.isNaN(sums[0]))
                throw new IllegalStateException("the stream did not run");
            return new double[]{read, copied};
        }
    }

    /** The sum of a segment's floats, four vector accumulators (enough loads in flight to stream). */
    private static float sum(MemorySegment seg) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        long step = F.vectorByteSize();
        for (long i = 0; i + 4 * step <= seg.byteSize(); i += 4 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, seg, i, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(FloatVector.fromMemorySegment(F, seg, i + step, ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(FloatVector.fromMemorySegment(F, seg, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(FloatVector.fromMemorySegment(F, seg, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    /** GFLOP/s of the fp32 packed sgemm out[m,n] = x[m,k] w[n,k]^T (the up_proj shape), best of five after a warm-up. */
    static double sgemmGflops(int m, int n, int k) {
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[m * k], w = new float[n * k], out = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble() - 0.5f;
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextDouble() - 0.5f;
        for (int rep = 0; rep < 3; rep++) Gemm.linear(out, x, w, m, k, n); // compiled before it is timed
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            Gemm.linear(out, x, w, m, k, n);
            best = Math.min(best, seconds(t0));
        }
        return 2.0 * m * n * k / best / 1e9;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
