package minitron4j.tornado;

import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The CUDA-graph setting of the plans: PTX only, on by default there, off by the property. */
class GraphPlanTest {
    @Test
    void cudaGraphReplayIsForThePtxBackendOnlyAndTheSettingIsTrueOrFalse() {
        String before = System.getProperty(GraphPlan.CUDA_GRAPH_PROPERTY);
        boolean ptx = TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice().getTornadoVMBackend() == TornadoVMBackendType.PTX;
        try {
            System.clearProperty(GraphPlan.CUDA_GRAPH_PROPERTY);
            assertEquals(ptx, GraphPlan.replaysCudaGraphs(), "the default");
            System.setProperty(GraphPlan.CUDA_GRAPH_PROPERTY, "true");
            assertEquals(ptx, GraphPlan.replaysCudaGraphs(), "true");
            System.setProperty(GraphPlan.CUDA_GRAPH_PROPERTY, "false");
            assertFalse(GraphPlan.replaysCudaGraphs(), "false");
            System.setProperty(GraphPlan.CUDA_GRAPH_PROPERTY, "on");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, GraphPlan::replaysCudaGraphs);
            assertEquals("-Dminitron4j.cudaGraph=on is neither true nor false", e.getMessage());
        } finally {
            if (before == null) System.clearProperty(GraphPlan.CUDA_GRAPH_PROPERTY);
            else System.setProperty(GraphPlan.CUDA_GRAPH_PROPERTY, before);
        }
    }
}
