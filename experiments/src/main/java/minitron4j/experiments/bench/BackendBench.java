package minitron4j.experiments.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.eval.SpeedProbe;
import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.BenchProbes;
import minitron4j.model.backend.Loss;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The speed of one backend at one {@link BenchShape}, with random weights and token ids (speed does
 * not depend on them): a matmul probe, a knowledge-distillation training step and the teacher's
 * KV-cache decoding. Every stage runs untimed first (JIT and kernel compilation, buffers) and then
 * reports the median of its timed repeats.
 *
 * <p>The KD step is the one training runs: the teacher's forward pass through
 * {@link Backend.Session#forward} (its logits come back to the host), then the student's
 * {@link Backend.Training}: zeroGradients, accumulate (forward, KD loss at tau 1, backward),
 * gradientNorm, update (clipping at 1, AdamW). TFLOP/s count the teacher's forward
 * ({@link Nemotron#forwardFlops}) and the student's forward and backward (three forwards).
 */
public final class BackendBench {
    /** What to run: steps timed KD steps, a matmul probe at n x n x n (0: none), decodeTokens after a prompt. */
    public record Settings(BenchShape shape, int steps, int matmulN, int matmulRepeats, int promptLength, int decodeTokens,
                           long seed) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            if (matmulN < 0 || matmulN > MAX_MATMUL)
                throw new IllegalArgumentException("--matmul must lie in [0, " + MAX_MATMUL + "] (0: no probe; n*n floats make one array), got "
                        + matmulN);
            if (matmulRepeats < 1) throw new IllegalArgumentException("--matmul-repeats must be >= 1, got " + matmulRepeats);
            if (decodeTokens < 0) throw new IllegalArgumentException("--decode-tokens must be >= 0 (0: no decoding), got " + decodeTokens);
            int max = Math.min(shape.teacher().maxPositionEmbeddings(), shape.student().maxPositionEmbeddings());
            if (promptLength < 1 || promptLength + decodeTokens > max)
                throw new IllegalArgumentException("prompt (" + promptLength + ") + decoded tokens (" + decodeTokens
                        + ") must fit the " + max + " positions of shape " + shape.name() + ", with a prompt of at least 1");
        }
    }

    /** The largest matmul probe whose n x n operands fit one Java array. */
    public static final int MAX_MATMUL = 46340;

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Backend backend;
    private final Settings settings;
    private final PrintStream log;

    public BackendBench(Backend backend, Settings settings, PrintStream log) {
        this.backend = backend;
        this.settings = settings;
        this.log = log;
    }

    /** Runs every stage; the report holds the backend's description, the shape and one object per stage. */
    public ObjectNode run() {
        BenchShape shape = settings.shape();
        ObjectNode report = JSON.objectNode();
        report.put("backend", backend.name());
        BenchProbes probes = backend instanceof BenchProbes p ? p : null;
        if (probes != null) new TreeMap<>(probes.describe()).forEach(report::put);
        else log.printf("bench: the %s backend has no probes (device, matmul); measuring its passes only%n", backend.name());
        report.put("shape", shape.name());
        report.put("batch", shape.batch());
        report.put("seq", shape.seq());
        report.set("teacher", model(shape.teacher()));
        report.set("student", model(shape.student()));
        report.put("steps", settings.steps());
        if (settings.matmulN() > 0 && probes != null) report.set("matmul", matmul(probes));
        SplittableRandom random = new SplittableRandom(settings.seed());
        Batch batch = Batch.of(random.ints(shape.tokens(), 0, shape.teacher().vocabSize()).toArray(), shape.batch(), shape.seq());
        Parameters teacherParams = Parameters.initialize(shape.teacher(), settings.seed() + 1);
        // the teacher alone first (its forward rate, decoding), closed before the KD step holds it again
        try (Backend.Session teacher = backend.open(teacherParams)) {
            report.set("teacher_forward", teacherForward(teacher, batch));
            if (settings.decodeTokens() > 0) report.set("decode", decode(teacher, random));
        }
        try (Backend.Session student = backend.open(Parameters.initialize(shape.student(), settings.seed() + 2))) {
            kdStep(teacherParams, student, batch, report);
        }
        return report;
    }

    /** Two untimed forwards (compilation), then steps timed ones: the median. */
    private ObjectNode teacherForward(Backend.Session teacher, Batch batch) {
        BenchShape shape = settings.shape();
        teacher.forward(batch);
        teacher.forward(batch);
        double[] seconds = new double[settings.steps()];
        for (int s = 0; s < seconds.length; s++) {
            long t0 = System.nanoTime();
            teacher.forward(batch);
            seconds[s] = (System.nanoTime() - t0) / 1e9;
        }
        double median = SpeedProbe.median(seconds);
        log.printf("teacher forward %.1f ms, %.0f tokens/s%n", median * 1e3, shape.tokens() / median);
        return rate(median, shape.tokens(), Nemotron.forwardFlops(shape.teacher(), shape.batch(), shape.seq()));
    }

    private static ObjectNode model(NemotronConfig c) {
        ObjectNode o = JSON.objectNode();
        o.put("hidden", c.hiddenSize());
        o.put("layers", c.numHiddenLayers());
        o.put("heads", c.numAttentionHeads());
        o.put("kv_heads", c.numKeyValueHeads());
        o.put("ffn", c.intermediateSize());
        o.put("vocab", c.vocabSize());
        o.put("parameters", c.parameterCount());
        return o;
    }

    /** TFLOP/s of each of the backend's matmul kernels on x W^T at n x n x n. */
    private ObjectNode matmul(BenchProbes probes) {
        int n = settings.matmulN();
        ObjectNode o = JSON.objectNode();
        o.put("n", n);
        ObjectNode tflops = o.putObject("tflops");
        for (Map.Entry<String, double[]> e : probes.matmulSeconds(n, settings.matmulRepeats()).entrySet()) {
            double t = 2.0 * n * n * (double) n / SpeedProbe.median(e.getValue()) / 1e12;
            tflops.put(e.getKey(), t);
            log.printf("matmul %s %d^3: %.4g TFLOP/s%n", e.getKey(), n, t);
        }
        return o;
    }

    /** Seconds of each stage of one KD step, and its loss and gradient norm. */
    private record Step(double accumulate, double norm, double update, double loss, double gradNorm) {
        double total() {
            return accumulate + norm + update;
        }
    }

    /**
     * The KD step as distillation runs it, the teacher held beside the student on the backend: two
     * untimed steps (compilation), then steps timed ones; per-stage medians into the report's kd_step.
     */
    private void kdStep(Parameters teacher, Backend.Session student, Batch batch, ObjectNode report) {
        BenchShape shape = settings.shape();
        List<Step> steps = new ArrayList<>();
        double firstStep;
        try (Backend.Training training = student.training(Loss.Distillation.forwardKl(teacher, 1), shape.batch(), shape.seq(),
                AdamWSettings.of(0.9, 0.95, 1e-8, 0.1))) {
            // two untimed steps: gradients start at zero, so a backend may first run its zeroing on the second
            firstStep = step(training, batch, 1).total();
            double secondStep = step(training, batch, 2).total();
            log.printf("KD steps, untimed first two (compilation): %.1f s, %.1f s%n", firstStep, secondStep);
            for (int s = 0; s < settings.steps(); s++) {
                steps.add(step(training, batch, s + 3));
                log.printf("KD step %d/%d: %.1f ms (loss %.4f)%n", s + 1, settings.steps(), steps.getLast().total() * 1e3,
                        steps.getLast().loss());
            }
        }
        double stepFlops = Nemotron.forwardFlops(shape.teacher(), shape.batch(), shape.seq())
                + 3 * Nemotron.forwardFlops(shape.student(), shape.batch(), shape.seq());
        double total = median(steps, Step::total);
        ObjectNode k = rate(total, shape.tokens(), stepFlops);
        k.put("teacher_and_student_ms", median(steps, Step::accumulate) * 1e3);
        k.put("gradient_norm_ms", median(steps, Step::norm) * 1e3);
        k.put("update_ms", median(steps, Step::update) * 1e3);
        k.put("first_step_s", firstStep);
        k.put("kd_loss", steps.getLast().loss());
        k.put("grad_norm", steps.getLast().gradNorm());
        report.set("kd_step", k);
        log.printf("KD step %.1f ms, %.0f tokens/s, %.4g TFLOP/s%n", total * 1e3, shape.tokens() / total, stepFlops / total / 1e12);
    }

    /** One KD step at AdamW step t (teacher forward, student forward and backward, norm, AdamW), each stage timed. */
    private static Step step(Backend.Training training, Batch batch, int t) {
        long t0 = System.nanoTime();
        training.zeroGradients();
        double loss = training.accumulate(batch, 1f)[0]; // the objective: the forward KL, no CE term
        long t1 = System.nanoTime();
        double norm = training.gradientNorm();
        long t2 = System.nanoTime();
        training.update(norm, 1.0, 1e-4, t);
        long t3 = System.nanoTime();
        return new Step((t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, loss, norm);
    }

    private static double median(List<Step> steps, ToDoubleFunction<Step> stage) {
        return SpeedProbe.median(steps.stream().mapToDouble(stage).toArray());
    }

    private static ObjectNode rate(double seconds, int tokens, double flops) {
        ObjectNode o = JSON.objectNode();
        o.put("ms", seconds * 1e3);
        o.put("tokens_per_s", tokens / seconds);
        o.put("tflops", flops / seconds / 1e12);
        return o;
    }

    /**
     * The teacher's KV-cache decoding of one sequence: a random prompt, then decodeTokens greedy
     * tokens one at a time, once untimed and once timed; "skipped" with the reason where the
     * backend has no decoder.
     */
    private ObjectNode decode(Backend.Session teacher, SplittableRandom random) {
        int promptLength = settings.promptLength(), tokens = settings.decodeTokens();
        int[] prompt = random.ints(promptLength, 0, settings.shape().teacher().vocabSize()).toArray();
        ObjectNode o = JSON.objectNode();
        o.put("prompt", promptLength);
        o.put("tokens", tokens);
        try {
            decodeOnce(teacher, prompt, new double[tokens]);
            double[] perToken = new double[tokens];
            double prefill = decodeOnce(teacher, prompt, perToken);
            double median = SpeedProbe.median(perToken);
            o.put("prefill_ms", prefill * 1e3);
            o.put("ms_per_token", median * 1e3);
            o.put("tokens_per_s", 1 / median);
            log.printf("decode: prefill of %d tokens %.1f ms, %.2f ms per token%n", promptLength, prefill * 1e3, median * 1e3);
        } catch (UnsupportedOperationException e) {
            o.put("skipped", String.valueOf(e.getMessage()));
            log.println("decode skipped: " + e.getMessage());
        }
        return o;
    }

    /** Prefills prompt, then appends greedy tokens, seconds of each into perToken; returns the prefill's seconds. */
    private static double decodeOnce(Backend.Session session, int[] prompt, double[] perToken) {
        try (Backend.Decoder decoder = session.decoder(prompt.length + perToken.length)) {
            long t0 = System.nanoTime();
            float[] logits = decoder.append(prompt);
            double prefill = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < perToken.length; i++) {
                long t = System.nanoTime();
                logits = decoder.append(new int[]{Sampler.argmax(logits, 0, logits.length)});
                perToken[i] = (System.nanoTime() - t) / 1e9;
            }
            return prefill;
        }
    }
}
