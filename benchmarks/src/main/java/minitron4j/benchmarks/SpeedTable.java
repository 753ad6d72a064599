package minitron4j.benchmarks;

import minitron4j.kernels.Gemm;
import minitron4j.kernels.Parallel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The README's CPU speed table from one run, every ratio against a baseline measured in the same
 * minutes: {@code Gemm.sgemm} against OpenBLAS's native kernel ({@link OpenBlasBaseline}: numpy in a
 * subprocess) with 2 threads and 1, all three layouts, at 1024^3, the demo teacher's training
 * products and Minitron-4B's 3072 x 9216 products at 128 and 512 rows; then the CE training step of
 * the demo teacher at [16,128] and [4,512] against this run's sgemm rate at 1024^3 (NT, 2 threads).
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar minitron4j.benchmarks.SpeedTable \
 *     [--seconds S] [--steps N] &gt; table.md
 * </pre>
 * The Markdown goes to stdout, progress to stderr. Rates are of the median call (median step).
 */
public final class SpeedTable {
    /** rows x out x in of a linear layer, named. */
    private record Layer(String group, String shape) {
    }

    private static final List<Layer> LAYERS = List.of(
            new Layer("1024^3", "1024x1024x1024"),
            new Layer("demo teacher [16,128]", "2048x256x256"), new Layer("demo teacher [16,128]", "2048x1024x256"),
            new Layer("demo teacher [16,128]", "2048x256x1024"), new Layer("demo teacher [16,128]", "2048x2048x256"),
            new Layer("Minitron-4B", "512x9216x3072"), new Layer("Minitron-4B", "512x3072x9216"),
            new Layer("Minitron-4B", "128x9216x3072"), new Layer("Minitron-4B", "128x3072x9216"));
    private static final String[] OPS = {"NT", "NN", "TN"};
    private static final int[] THREADS = {2, 1};

    private SpeedTable() {}

    public static void main(String[] args) throws IOException {
        double seconds = 1;
        int steps = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: SpeedTable [--seconds S] [--steps N]");
            }
        }
        GemmBench.warmUp();
        StringBuilder md = new StringBuilder();
        md.append("| product (rows x out x in) | layout | threads | minitron4j GFLOP/s | OpenBLAS GFLOP/s | ratio |\n");
        md.append("| --- | --- | --- | --- | --- | --- |\n");
        List<String> summary = new ArrayList<>();
        double sgemmNt1024 = 0;
        String numpy = "";
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            try (OpenBlasBaseline blas = new OpenBlasBaseline(threads)) {
                numpy = blas.numpyVersion();
                String group = null;
                List<Double> ratios = new ArrayList<>();
                for (Layer layer : LAYERS) {
                    if (!layer.group().equals(group)) {
                        if (group != null) summary.add(range(group, threads, ratios));
                        group = layer.group();
                        ratios.clear();
                    }
                    for (String op : OPS) {
                        GemmShape s = GemmShape.parse(op, layer.shape());
                        double ours = sgemm(s, seconds), theirs = blas.time(s, seconds)[1];
                        if (threads == 2 && layer.shape().equals("1024x1024x1024") && op.equals("NT")) sgemmNt1024 = ours;
                        ratios.add(ours / theirs);
                        md.append(String.format("| %s %s | %s | %d | %.0f | %.0f | %.2fx |%n", layer.group(), layer.shape(), op, threads,
                                ours, theirs, ours / theirs));
                        System.err.printf("sgemm %s threads=%d: %.0f vs %.0f GFLOP/s%n", s, threads, ours, theirs);
                    }
                }
                summary.add(range(group, threads, ratios));
            }
        }
        Parallel.setThreads(2);
        md.append("\n| CE training step, demo teacher | tokens/s | GFLOP/s | sgemm 1024^3 NT, 2 threads, same run | ratio |\n");
        md.append("| --- | --- | --- | --- | --- |\n");
        for (String batch : new String[] {"16x128", "4x512"}) {
            CeTrainingStep step = new CeTrainingStep(CeTrainingStep.DEMO_TEACHER, batch);
            double sec = medianStepSeconds(step, steps);
            double gflops = step.flops / sec * 1e-9;
            md.append(String.format("| [%s] | %.0f | %.0f | %.0f | %.2fx |%n", batch.replace('x', ','), step.tokens() / sec, gflops,
                    sgemmNt1024, gflops / sgemmNt1024));
            System.err.printf("step [%s]: %.0f GFLOP/s%n", batch, gflops);
        }
        md.append("\nsgemm against OpenBLAS (numpy ").append(numpy).append("), median-call ratios by group: ")
                .append(String.join("; ", summary)).append('\n');
        System.out.print(md);
    }

    /** Median-call GFLOP/s of Gemm.sgemm on s (beta 0). */
    private static double sgemm(GemmShape s, double seconds) {
        Random rnd = new Random(42);
        float[] a = GemmBench.random(rnd, s.m() * s.k()), b = GemmBench.random(rnd, s.k() * s.n()), c = new float[s.m() * s.n()];
        return GemmBench.time(seconds, s.flops(), () -> Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(),
                a, 0, s.lda(), b, 0, s.ldb(), 0f, c, 0, s.n()))[1];
    }

    /** Seconds of the median of steps timed steps after as many untimed ones (JIT, buffers). */
    private static double medianStepSeconds(CeTrainingStep step, int steps) {
        for (int i = 0; i < steps; i++) step.run();
        double[] sec = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            sec[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(sec);
        return sec[steps / 2];
    }

    private static String range(String group, int threads, List<Double> ratios) {
        double lo = ratios.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = ratios.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return String.format("%s, %d thread%s: %.2f-%.2fx", group, threads, threads == 1 ? "" : "s", lo, hi);
    }
}
