package minitron4j.tornado;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Speed of the TornadoVM backend on its default device, printed as one JSON line (the last line of
 * stdout): a matmul probe, the teacher's forward and a KD training step (teacher forward, student
 * forward + KD loss + backward, AdamW) with random weights, at issue 6's anchor shapes by default.
 *
 * <pre>
 * java [TornadoVM flags] -cp minitron4j.jar:tornado-kernels.jar minitron4j.tornado.TornadoBench
 *      [--batch 8] [--seq 512] [--layers 12] [--vocab 32000] [--steps 5] [--matmul 2048]
 * </pre>
 * The teacher's logits reach the student through the host in this version (one [N, V] copy each
 * way per step); the times include that copy.
 */
public final class TornadoBench {
    private TornadoBench() {}

    public static void main(String[] args) {
        int batch = 8, seq = 512, layers = 12, vocab = 32000, steps = 5, matmul = 2048;
        for (int i = 0; i + 1 < args.length; i += 2) {
            int value = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--batch" -> batch = value;
                case "--seq" -> seq = value;
                case "--layers" -> layers = value;
                case "--vocab" -> vocab = value;
                case "--steps" -> steps = value;
                case "--matmul" -> matmul = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; known: --batch --seq --layers --vocab --steps --matmul");
            }
        }
        String device = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice().getPhysicalDevice().getDeviceName();
        NemotronConfig teacherConfig = NemotronConfig.of(vocab, 1024, 4096, layers, 16, 8, 64, false);
        NemotronConfig studentConfig = NemotronConfig.of(vocab, 768, 2048, layers, 12, 6, 64, false);
        int tokens = batch * seq;
        StringBuilder json = new StringBuilder("{\"device\":\"").append(device.replace("\"", "'")).append('"');
        json.append(String.format(Locale.ROOT, ",\"batch\":%d,\"seq\":%d,\"layers\":%d,\"vocab\":%d", batch, seq, layers, vocab));

        double tflops = matmulTflops(matmul);
        json.append(String.format(Locale.ROOT, ",\"matmul_n\":%d,\"matmul_tflops\":%.4g", matmul, tflops));
        System.err.printf("matmul %d^3: %.2f TFLOP/s%n", matmul, tflops);

        SplittableRandom r = new SplittableRandom(7);
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) ids[i] = r.nextInt(vocab);
        try (ModelGraphs teacher = new ModelGraphs(StackedParameters.of(Parameters.initialize(teacherConfig, 1)), batch, seq);
             ModelGraphs student = new ModelGraphs(StackedParameters.of(Parameters.initialize(studentConfig, 2)), batch, seq,
                     Parameters::decays)) {
            long t0 = System.nanoTime();
            teacher.forward(ids, null, false);
            System.err.printf("teacher graphs compiled and run once: %.1f s%n", (System.nanoTime() - t0) / 1e9);
            double[] fwd = new double[steps];
            for (int s = 0; s < steps; s++) {
                long t = System.nanoTime();
                teacher.forward(ids, null, false);
                fwd[s] = (System.nanoTime() - t) / 1e9;
            }
            double fwdSec = median(fwd);
            json.append(String.format(Locale.ROOT, ",\"forward_ms\":%.2f,\"forward_tokens_per_s\":%.0f", fwdSec * 1e3, tokens / fwdSec));
            System.err.printf("teacher forward: %.1f ms, %.0f tokens/s%n", fwdSec * 1e3, tokens / fwdSec);

            t0 = System.nanoTime();
            kdStep(teacher, student, ids, 1);
            System.err.printf("student graphs compiled and one KD step run: %.1f s%n", (System.nanoTime() - t0) / 1e9);
            double[] step = new double[steps];
            double loss = 0;
            for (int s = 0; s < steps; s++) {
                long t = System.nanoTime();
                loss = kdStep(teacher, student, ids, s + 2);
                step[s] = (System.nanoTime() - t) / 1e9;
            }
            double stepSec = median(step);
            json.append(String.format(Locale.ROOT, ",\"kd_step_ms\":%.2f,\"kd_step_tokens_per_s\":%.0f,\"kd_loss\":%.5f"
                            + ",\"grad_norm\":%.5f,\"grads_finite\":%b", stepSec * 1e3, tokens / stepSec, loss,
                    student.gradStats.get(0), student.gradStats.get(1) == 1f));
            System.err.printf("KD step: %.1f ms, %.0f tokens/s (loss %.4f)%n", stepSec * 1e3, tokens / stepSec, loss);
        }
        System.out.println(json.append('}'));
    }

    /** Teacher forward, its logits to the student's KD loss (through the host), student backward, norm, clipping, AdamW. */
    private static double kdStep(ModelGraphs teacher, ModelGraphs student, int[] ids, int step) {
        teacher.forward(ids, null, true);
        student.zeroGradients();
        student.forward(ids, null, false);
        double loss = student.lossAndBackward(teacher.logits, 1f, 1f);
        student.gradientNorm();
        student.optimizerStep(1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, 1f, step);
        return loss;
    }

    /** The forward product kernel on n x n x n, kernel launches back to back: the median of 10 runs. */
    private static double matmulTflops(int n) {
        FloatArray a = new FloatArray(n * n), b = new FloatArray(n * n), c = new FloatArray(n * n);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n * n; i++) {
            a.set(i, (float) r.nextDouble() - 0.5f);
            b.set(i, (float) r.nextDouble() - 0.5f);
        }
        IntArray off = new Offsets(1).array();
        TaskGraph g = new TaskGraph("probe").transferToDevice(DataTransferMode.FIRST_EXECUTION, off, a, b)
                .task("mm", GemmKernels::xWt, new KernelContext(), off, a, Offsets.ZERO, b, Offsets.ZERO, c, Offsets.ZERO, n, n, n, 0)
                .transferToHost(DataTransferMode.UNDER_DEMAND, c);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            plan.withGridScheduler(new GridScheduler("probe.mm", Launch.tiles2d(n, n)));
            plan.execute();
            double[] t = new double[10];
            for (int i = 0; i < t.length; i++) {
                long s = System.nanoTime();
                plan.execute();
                t[i] = (System.nanoTime() - s) / 1e9;
            }
            return 2.0 * n * n * (double) n / median(t) / 1e12;
        } catch (Exception e) {
            throw new IllegalStateException("matmul probe", e);
        }
    }

    private static double median(double[] xs) {
        double[] c = xs.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
