package minitron4j.tornado;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.List;

/**
 * One TornadoVM execution plan over the graphs of one model, or of a teacher and a student that
 * share device buffers (the student's KD graph reads the teacher's logits where they were
 * computed). Remembers the last execution, through which device buffers are fetched.
 *
 * <p>On the PTX backend the plan replays its graphs as CUDA graphs ({@code withCUDAGraph}: TornadoVM
 * captures a graph's kernel launches when it first runs and afterwards launches the captured graph,
 * one host call per graph run instead of one per kernel, which matters where a layer's dozen small
 * kernels are bound by launches, as in decoding); {@code -D}{@value #CUDA_GRAPH_PROPERTY}{@code =false}
 * turns it off. Other backends (OpenCL, PoCL) never use it. Not yet run on a GPU.
 */
final class GraphPlan implements AutoCloseable {
    /** The system property that turns CUDA-graph replay off on the PTX backend ({@code true} or {@code false}, default true). */
    static final String CUDA_GRAPH_PROPERTY = "minitron4j.cudaGraph";

    private final TornadoExecutionPlan plan;
    private TornadoExecutionResult last;
    private boolean closed;

    GraphPlan(List<ImmutableTaskGraph> graphs, GridScheduler grids) {
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withGridScheduler(grids);
        // set while the plan holds every graph, so that each graph replays whichever run selects it
        if (replaysCudaGraphs()) plan.withCUDAGraph();
    }

    /** Whether plans replay CUDA graphs: on the PTX backend unless {@value #CUDA_GRAPH_PROPERTY} is false. */
    static boolean replaysCudaGraphs() {
        String setting = System.getProperty(CUDA_GRAPH_PROPERTY, "true");
        if (!setting.equals("true") && !setting.equals("false"))
            throw new IllegalArgumentException("-D" + CUDA_GRAPH_PROPERTY + "=" + setting + " is neither true nor false");
        return setting.equals("true")
                && TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice().getTornadoVMBackend() == TornadoVMBackendType.PTX;
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
