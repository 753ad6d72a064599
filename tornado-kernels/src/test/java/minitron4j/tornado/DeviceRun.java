package minitron4j.tornado;

import minitron4j.model.FloatAsserts;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helpers: run a few tasks once on the default device and compare with the CPU twin. */
final class DeviceRun {
    private static int graphs;

    private DeviceRun() {}

    /** Builds one graph (tasks added by body, each with its grid), sends inputs, runs it once, fetches outputs. */
    static void once(Object[] inputs, Object[] outputs, Consumer<Graph> body) {
        Graph g = new Graph("t" + graphs++);
        g.graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, inputs);
        body.accept(g);
        g.graph.transferToHost(DataTransferMode.EVERY_EXECUTION, outputs);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.graph.snapshot())) {
            plan.withGridScheduler(g.grids).execute();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A task graph under construction with its grid scheduler. */
    static final class Graph {
        final TaskGraph graph;
        final GridScheduler grids = new GridScheduler();
        final KernelContext ctx = new KernelContext();
        private final String name;
        private int tasks;

        Graph(String name) {
            this.name = name;
            this.graph = new TaskGraph(name);
        }

        /** The next task's name, registered with its grid. */
        String task(WorkerGrid grid) {
            String id = "k" + tasks++;
            grids.addWorkerGrid(name + "." + id, grid);
            return id;
        }
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return x;
    }

    static FloatArray device(float[] x) {
        return FloatArray.fromArray(x);
    }

    static IntArray device(int[] x) {
        return IntArray.fromArray(x);
    }

    static void assertClose(float[] want, FloatArray got, double tol, String what) {
        assertEquals(want.length, got.getSize(), what + " size");
        double worst = 0, max = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            double d = Math.abs(want[i] - got.get(i));
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol * Math.max(1, max), what + ": max |diff| " + worst + " at " + at + " (largest |want| " + max + ")");
    }

    /** Every entry of got within tol (absolute) of want (the model tests' comparison, beside the device-array one above). */
    static void assertClose(float[] want, float[] got, double tol, String what) {
        FloatAsserts.assertClose(want, got, tol, what);
    }
}
