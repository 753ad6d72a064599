package minitron4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * OpenBLAS's sgemm measured in the same run as ours, through numpy in a Python subprocess that stays
 * up for the whole benchmark (one line per product in, "best median" GFLOP/s out), so both sides see
 * the same machine in the same minutes without JNI. The subprocess runs OpenBLAS's native kernel for
 * this CPU: the environment's OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on this machine for old
 * OpenBLAS builds, which pins an AVX2 kernel) are removed for it alone, and OPENBLAS_NUM_THREADS is
 * our thread count. numpy calls sgemm on the transposed views directly (no copies).
 */
final class OpenBlasBaseline implements AutoCloseable {
    private static final String SCRIPT = """
            import sys, time, numpy as np
            print(np.__version__, flush=True)
            for line in sys.stdin:
                op, m, n, k, seconds = line.split()
                m, n, k, seconds = int(m), int(n), int(k), float(seconds)
                rng = np.random.default_rng(42)
                a = rng.uniform(-1, 1, (k, m) if op == "TN" else (m, k)).astype(np.float32)
                b = rng.uniform(-1, 1, (n, k) if op == "NT" else (k, n)).astype(np.float32)
                c = np.empty((m, n), np.float32)
                x = a.T if op == "TN" else a
                y = b.T if op == "NT" else b
                flops = 2.0 * m * n * k
                end = time.perf_counter() + seconds * 0.5
                while time.perf_counter() < end:
                    np.matmul(x, y, out=c)
                rates = []
                end = time.perf_counter() + seconds
                while time.perf_counter() < end or len(rates) < 3:
                    t0 = time.perf_counter()
                    np.matmul(x, y, out=c)
                    rates.append(flops / (time.perf_counter() - t0) / 1e9)
                rates.sort()
                print(rates[-1], rates[len(rates) // 2], flush=True)
            """;

    private final Process process;
    private final PrintWriter in;
    private final BufferedReader out;
    private final String numpyVersion;

    OpenBlasBaseline(int threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("python3", "-c", SCRIPT).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.remove("OPENBLAS_CORETYPE");
        env.remove("OPENBLAS_L2_SIZE");
        env.put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        process = pb.start();
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        numpyVersion = out.readLine();
        if (numpyVersion == null) throw new IOException("python3 with numpy did not start (the OpenBLAS baseline needs both)");
    }

    String numpyVersion() {
        return numpyVersion;
    }

    /** {best, median} GFLOP/s of OpenBLAS on the product, timed for the given seconds after half as long of warm-up. */
    double[] time(GemmShape s, double seconds) throws IOException {
        in.printf("%s %d %d %d %s%n", s.op(), s.m(), s.n(), s.k(), seconds);
        String line = out.readLine();
        if (line == null) throw new IOException("the numpy subprocess ended early");
        String[] v = line.trim().split(" ");
        return new double[]{Double.parseDouble(v[0]), Double.parseDouble(v[1])};
    }

    @Override
    public void close() {
        in.close();
        process.destroy();
    }
}
