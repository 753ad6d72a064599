package minitron4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.List;

/**
 * One TornadoVM execution plan over the graphs of one model, or of a teacher and a student that
 * share device buffers (the student's KD graph reads the teacher's logits where they were
 * computed). Remembers the last execution, through which device buffers are fetched.
 */
final class GraphPlan implements AutoCloseable {
    private final TornadoExecutionPlan plan;
    private TornadoExecutionResult last;
    private boolean closed;

    GraphPlan(List<ImmutableTaskGraph> graphs, GridScheduler grids) {
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withGridScheduler(grids);
    }

    TornadoExecutionResult run(int graph) {
        last = plan.withGraph(graph).execute();
        return last;
    }

    /** Whether any graph has run: until then the host arrays are what the first run sends. */
    boolean started() {
        return last != null;
    }

    /** Copies device buffers to their host arrays (they stay on the device); before any run the host arrays are current. */
    void fetch(List<FloatArray> arrays) {
        if (last != null) last.transferToHost(arrays.toArray());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            plan.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the TornadoVM execution plan", e);
        }
    }
}
