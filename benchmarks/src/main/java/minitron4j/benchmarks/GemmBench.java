package minitron4j.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import minitron4j.kernels.Gemm;
import minitron4j.kernels.Parallel;

/**
 * Quick GFLOP/s check of {@code Gemm.sgemm} against a baseline measured in the same run: by default
 * {@link RowwiseGemm}, with {@code --openblas} OpenBLAS's native kernel through numpy
 * ({@link OpenBlasBaseline}); the ratio is of the medians.
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar minitron4j.benchmarks.GemmBench \
 *     [--threads N] [--seconds S] [--no-baseline | --openblas] [rows x out x in ...]
 * </pre>
 * Each layer shape (default: 1024^3 and the training shapes) is run as its three products NT, NN,
 * TN (see {@link GemmShape}). All three are first run for a few seconds so that C2 has compiled the
 * micro-kernel (the Vector API is slow until then); each product is then timed for S seconds
 * (default 2), and the best and the median call are reported as 2*m*n*k / seconds.
 */
public final class GemmBench {
    private static final String[] DEFAULT_LAYERS = {"1024x1024x1024", "4096x512x512", "4096x2048x512", "4096x512x2048", "4096x8192x256"};

    private static final double WARM_UP_SECONDS = 3;

    private GemmBench() {}

    public static void main(String[] args) throws java.io.IOException {
        double seconds = 2;
        boolean baseline = true, openblas = false;
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> Parallel.setThreads(Integer.parseInt(args[++i]));
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--no-baseline" -> baseline = false;
                case "--openblas" -> openblas = true;
                default -> layers.add(args[i]);
            }
        }
        if (layers.isEmpty()) layers = List.of(DEFAULT_LAYERS);
        warmUp();
        try (OpenBlasBaseline blas = openblas ? new OpenBlasBaseline(Parallel.threads()) : null) {
            System.out.printf("threads=%d; GFLOP/s as best / median call%s%n", Parallel.threads(),
                    blas == null ? "" : "; OpenBLAS native through numpy " + blas.numpyVersion());
            System.out.printf("%-30s %17s %17s %7s%n", "product", "sgemm", !baseline ? "" : blas != null ? "openblas" : "rowwise",
                    baseline ? "ratio" : "");
            for (String layer : layers) run(layer, seconds, baseline, blas);
        }
    }

    /** The three products of one layer shape, each timed here and then by the baseline, back to back. */
    private static void run(String layer, double seconds, boolean baseline, OpenBlasBaseline blas) throws java.io.IOException {
        for (String op : new String[] {"NT", "NN", "TN"}) {
            GemmShape s = GemmShape.parse(op, layer);
            Random rnd = new Random(42);
            float[] a = random(rnd, s.m() * s.k()), b = random(rnd, s.k() * s.n()), c = new float[s.m() * s.n()];
            double[] fast = time(seconds, s.flops(), () -> Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(),
                    a, 0, s.lda(), b, 0, s.ldb(), 0f, c, 0, s.n()));
            if (baseline) {
                double[] base = blas != null ? blas.time(s, seconds) : time(seconds, s.flops(), () -> RowwiseGemm.multiply(s, a, b, c));
                System.out.printf("%-30s %7.1f / %7.1f %7.1f / %7.1f %6.2fx%n", s, fast[0], fast[1], base[0], base[1], fast[1] / base[1]);
            } else {
                System.out.printf("%-30s %7.1f / %7.1f%n", s, fast[0], fast[1]);
            }
        }
    }

    static void warmUp() {
        for (String op : new String[] {"NT", "NN", "TN"}) {
            GemmShape s = GemmShape.parse(op, "515x517x700");
            Random rnd = new Random(1);
            float[] a = random(rnd, s.m() * s.k()), b = random(rnd, s.k() * s.n()), c = new float[s.m() * s.n()];
            time(WARM_UP_SECONDS, s.flops(), () -> Gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(),
                    a, 0, s.lda(), b, 0, s.ldb(), 0.5f, c, 0, s.n()));
        }
    }

    /** {best, median} GFLOP/s of calls made during the given seconds, after a warm-up of half as long. */
    static double[] time(double seconds, double flops, Runnable call) {
        long warmEnd = System.nanoTime() + (long) (seconds * 0.5e9);
        while (System.nanoTime() < warmEnd) call.run();
        List<Double> rates = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t0 = System.nanoTime();
            call.run();
            rates.add(flops / (System.nanoTime() - t0));
        } while (System.nanoTime() < end || rates.size() < 3);
        rates.sort(null);
        return new double[] {rates.getLast(), rates.get(rates.size() / 2)};
    }

    static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }
}
