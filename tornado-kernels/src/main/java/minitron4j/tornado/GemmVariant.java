package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The matmul kernels the task graphs use, with their launch grids. {@code -Dminitron4j.gemm=tiled16}
 * picks {@link GemmKernels} (one output per thread: the first exact version, kept as the reference),
 * {@code blocked} (the default) {@link BlockedGemmKernels} (16 outputs per thread: a quarter of the
 * local-memory reads per multiply-add). Both are exact on PoCL; which is faster on a GPU is for a
 * measurement there to say ({@code minitron4j bench --backend tornado} reports both).
 */
public enum GemmVariant {
    TILED16(Launch::tiles2d) {
        @Override
        public void task(TaskGraph g, String id, KernelContext ctx, Product p, IntArray off, FloatArray a, int aAt, FloatArray b,
                         int bAt, FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
            switch (p) {
                case X_WT -> g.task(id, GemmKernels::xWt, ctx, off, a, aAt, b, bAt, out, outAt, m, n, k, epilogue, extra, extraAt);
                case AB -> g.task(id, GemmKernels::ab, ctx, off, a, aAt, b, bAt, out, outAt, m, n, k, epilogue, extra, extraAt);
                case AT_B -> g.task(id, GemmKernels::atB, ctx, off, a, aAt, b, bAt, out, outAt, m, n, k, epilogue, extra, extraAt);
            }
        }
    },
    BLOCKED(Launch::blocked2d) {
        @Override
        public void task(TaskGraph g, String id, KernelContext ctx, Product p, IntArray off, FloatArray a, int aAt, FloatArray b,
                         int bAt, FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra, int extraAt) {
            int layout = switch (p) {
                case X_WT -> BlockedGemmKernels.X_WT;
                case AB -> BlockedGemmKernels.AB;
                case AT_B -> BlockedGemmKernels.AT_B;
            };
            g.task(id, BlockedGemmKernels::product, ctx, off, a, aAt, b, bAt, out, outAt, m, n, k, layout, epilogue, extra, extraAt);
        }
    };

    /** The system property that selects the variant. */
    public static final String PROPERTY = "minitron4j.gemm";

    /** The three products of a linear layer (see {@link GemmKernels}): x W^T, a b (dX = dY W), a^T b (dW = dY^T X). */
    public enum Product { X_WT, AB, AT_B }

    /** The variant {@value #PROPERTY} names (default {@code blocked}); an unknown name is refused with the known ones. */
    public static GemmVariant selected() {
        String name = System.getProperty(PROPERTY, "blocked");
        for (GemmVariant v : values()) if (v.label().equals(name)) return v;
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + name + " is not a matmul variant; known: "
                + Arrays.stream(values()).map(GemmVariant::label).toList());
    }

    /** The name the property takes. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    private final BiFunction<Integer, Integer, WorkerGrid> grid;

    GemmVariant(BiFunction<Integer, Integer, WorkerGrid> grid) {
        this.grid = grid;
    }

    /** The launch grid of this variant's kernels over an output of rows x cols. */
    public WorkerGrid grid(int rows, int cols) {
        return grid.apply(rows, cols);
    }

    /**
     * Adds task id computing product p to g: out[M,N] = the product of a and b finished by the
     * {@link Epilogue} (extra [M,N] at extraAt), each matrix at its slot of off, with the arguments of
     * {@link GemmKernels}. The caller registers {@link #grid}(m, n) for it.
     */
    public abstract void task(TaskGraph g, String id, KernelContext ctx, Product p, IntArray off, FloatArray a, int aAt,
                              FloatArray b, int bAt, FloatArray out, int outAt, int m, int n, int k, int epilogue, FloatArray extra,
                              int extraAt);
}
