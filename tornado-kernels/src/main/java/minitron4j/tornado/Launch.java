package minitron4j.tornado;

import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;

/** Launch geometries of the kernels: global sizes rounded up to whole work-groups. */
public final class Launch {
    private Launch() {}

    static int roundUp(int n, int multiple) {
        return Math.max(1, (n + multiple - 1) / multiple) * multiple;
    }

    /** One thread per element of [n], in groups of {@link #GROUP}. */
    public static WorkerGrid threads(int n) {
        WorkerGrid w = new WorkerGrid1D(roundUp(n, GROUP));
        w.setLocalWork(GROUP, 1, 1);
        return w;
    }

    /** One work-group of {@link #GROUP} threads per row, rows in [rows]. */
    public static WorkerGrid groupPerRow(int rows) {
        WorkerGrid w = new WorkerGrid1D(Math.max(1, rows) * GROUP);
        w.setLocalWork(GROUP, 1, 1);
        return w;
    }

    /** A single work-group of {@link #GROUP} threads (the combine step of a two-task reduction). */
    public static WorkerGrid oneGroup() {
        return groupPerRow(1);
    }

    /**
     * {@link AttentionKernels}: one work-group of {@link #GROUP} threads per block of
     * {@link AttentionKernels#ROWS} rows of each of lines sequences of seq rows (a (batch, head) pair each).
     */
    public static WorkerGrid attentionBlocks(int lines, int seq) {
        return groupPerRow(lines * roundUp(seq, AttentionKernels.ROWS) / AttentionKernels.ROWS);
    }

    /** {@link DecodeKernels#matrixVector}: one work-group of {@link #GROUP} threads per block of its rows of an output of n. */
    public static WorkerGrid matrixVector(int n) {
        return groupPerRow(roundUp(n, DecodeKernels.MATRIX_VECTOR_ROWS) / DecodeKernels.MATRIX_VECTOR_ROWS);
    }

    /** Tiles of {@link GemmKernels#TILE}^2 threads over an output of rows x cols. */
    public static WorkerGrid tiles2d(int rows, int cols) {
        WorkerGrid w = new WorkerGrid2D(roundUp(cols, GemmKernels.TILE), roundUp(rows, GemmKernels.TILE));
        w.setLocalWork(GemmKernels.TILE, GemmKernels.TILE, 1);
        return w;
    }

    /**
     * {@link BlockedGemmKernels}: work-groups of {@link BlockedGemmKernels#THREADS}^2 threads, one per
     * {@link BlockedGemmKernels#TILE}^2 block of an output of rows x cols.
     */
    public static WorkerGrid blocked2d(int rows, int cols) {
        int tile = BlockedGemmKernels.TILE, side = BlockedGemmKernels.THREADS;
        WorkerGrid w = new WorkerGrid2D(roundUp(cols, tile) / tile * side, roundUp(rows, tile) / tile * side);
        w.setLocalWork(side, side, 1);
        return w;
    }

    /** Work-group size of the 1D kernels; a power of two (tree reductions in local memory). */
    public static final int GROUP = 128;
}
