package minitron4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Task graphs of one execution plan that hand a shared set of buffers on from each graph to the
 * next (TornadoVM 5.2 takes consumed buffers from the graph executed just before): every graph
 * but the first consumes the whole set, every graph persists it, and the first graph sends it and
 * allocates it ({@link #allocate}). Tasks register their grid under "graph.task" in one scheduler.
 */
final class GraphChain {
    final GridScheduler grids = new GridScheduler();
    final KernelContext ctx = new KernelContext();
    private final Object[] shared;

    GraphChain(List<?> shared) {
        this.shared = shared.toArray();
    }

    /**
     * The first graph: sends every shared buffer but perRun once (their host values: weights,
     * tables, zeros) and perRun on every execution; after its tasks, {@link #allocate} completes it.
     */
    TaskGraph first(String name, Object... perRun) {
        TaskGraph g = new TaskGraph(name);
        g.transferToDevice(DataTransferMode.EVERY_EXECUTION, perRun);
        List<Object> once = new ArrayList<>();
        for (Object o : shared) {
            boolean sentPerRun = false;
            for (Object p : perRun) sentPerRun |= o == p; // by identity: TornadoVM's arrays may compare contents
            if (!sentPerRun) once.add(o);
        }
        g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
        return g;
    }

    /** A later graph: takes the shared set over from the graph executed before it. */
    TaskGraph next(String name) {
        return new TaskGraph(name).consumeFromDevice(shared);
    }

    ImmutableTaskGraph close(TaskGraph g) {
        return g.persistOnDevice(shared).snapshot();
    }

    /** Registers a task's launch geometry; returns its id. */
    String task(TaskGraph g, String id, WorkerGrid grid) {
        grids.addWorkerGrid(g.getTaskGraphName() + "." + id, grid);
        return id;
    }

    /**
     * Adds to the first graph no-op {@link ElementwiseKernels#reside} tasks naming every shared
     * float buffer, so that TornadoVM allocates them there and the later graphs can take them over
     * (a graph hands on only buffers it has; a transfer alone does not allocate one). anyInt is
     * any int buffer of the graph (the task's first argument).
     */
    void allocate(TaskGraph g, IntArray anyInt) {
        List<FloatArray> floats = new ArrayList<>();
        for (Object o : shared) if (o instanceof FloatArray a) floats.add(a);
        int per = ElementwiseKernels.RESIDE_ARGS;
        for (int t = 0; t * per < floats.size(); t++) {
            FloatArray[] f = new FloatArray[per];
            for (int i = 0; i < per; i++) f[i] = floats.get(Math.min(floats.size() - 1, t * per + i));
            String id = "reside" + t;
            grids.addWorkerGrid(g.getTaskGraphName() + "." + id, Launch.oneGroup());
            g.task(id, ElementwiseKernels::reside, ctx, anyInt, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9],
                    f[10], f[11], f[12], f[13], f[14]);
        }
    }
}
