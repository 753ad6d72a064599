package minitron4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.SplittableRandom;

/**
 * The forward product x W^T of one {@link GemmVariant} on n x n x n, alone in a graph whose operands
 * stay on the device, executed back to back: per execution the wall time (the launch and TornadoVM's
 * bookkeeping included) and the device's kernel time from TornadoVM's profiler (the kernel alone).
 */
final class MatmulProbe {
    /** Seconds per execution, one per repeat: wall clock and the kernel alone. */
    record Seconds(double[] wall, double[] kernel) {}

    private MatmulProbe() {}

    /** Times repeats executions after one untimed execution (which compiles the kernel). */
    static Seconds measure(GemmVariant variant, int n, int repeats) {
        FloatArray x = new FloatArray(n * n), w = new FloatArray(n * n), out = new FloatArray(n * n);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n * n; i++) {
            x.set(i, (float) r.nextDouble() - 0.5f);
            w.set(i, (float) r.nextDouble() - 0.5f);
        }
        IntArray off = new Offsets(1).array();
        KernelContext ctx = new KernelContext();
        TaskGraph g = new TaskGraph("probe").transferToDevice(DataTransferMode.FIRST_EXECUTION, off, x, w);
        int z = Offsets.ZERO;
        variant.task(g, "mm", ctx, GemmVariant.Product.X_WT, off, x, z, w, z, out, z, n, n, n, Epilogue.STORE, x, z);
        g.transferToHost(DataTransferMode.UNDER_DEMAND, out);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            plan.withGridScheduler(new GridScheduler("probe.mm", variant.grid(n, n))).withProfiler(ProfilerMode.SILENT);
            plan.execute();
            double[] wall = new double[repeats], kernel = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long s = System.nanoTime();
                TornadoExecutionResult result = plan.execute();
                wall[i] = (System.nanoTime() - s) / 1e9;
                kernel[i] = result.getProfilerResult().getDeviceKernelTime() / 1e9;
            }
            return new Seconds(wall, kernel);
        } catch (Exception e) {
            throw new IllegalStateException("matmul probe of " + variant.label() + " at n = " + n, e);
        }
    }
}
