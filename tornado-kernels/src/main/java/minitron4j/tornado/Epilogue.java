package minitron4j.tornado;

import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What a product kernel ({@link BlockedGemmKernels}, {@link GemmKernels},
 * {@link DecodeKernels#matrixVector}) does with each value v of its output: the element-wise op
 * that follows a product in the layer runs in the product's kernel rather than as a task of its
 * own, one launch fewer each. {@link #ADD} and the squared ReLU's two take an extra operand of the
 * output's shape at its own offset (the kernels' {@code extra} at slot {@code extraAt}: entry e
 * there is the same row and column as entry o of out), never out itself.
 *
 * <p>{@link #STORE} and {@link #ACCUMULATE} take none, but TornadoVM wants a buffer in its place:
 * pass one the task only reads (its input). TornadoVM 5.2 marks extra as written (its analysis
 * sees the kernel's code, not the kind), and a buffer that appears again in a task's arguments
 * after one that writes it orders the task after itself: compiling its graph never ends. For the
 * same reason the squared ReLU's activation never goes into out itself.
 *
 * <p>The kind is a scalar argument: TornadoVM compiles each task with its scalars as constants, so
 * a task's kernel holds only its own branch.
 */
public final class Epilogue {
    /** out = v. */
    public static final int STORE = 0;
    /** out = out + v: products that add into a gradient. */
    public static final int ACCUMULATE = 1;
    /** out = v + extra: a residual connection (extra is the residual stream). */
    public static final int ADD = 2;
    /**
     * out = v, extra = relu(v)^2: the MLP's up-projection keeps its pre-activation (the backward
     * reads it) and writes the activation (twin of {@link minitron4j.kernels.SquaredRelu#forward}).
     */
    public static final int SQUARED_RELU = 3;
    /**
     * out = v * 2 relu(extra): the gradient at the up-projection's output, d act W_down through the
     * squared ReLU of the saved pre-activation extra (twin of {@link minitron4j.kernels.SquaredRelu#backward}).
     */
    public static final int SQUARED_RELU_GRADIENT = 4;

    private Epilogue() {}

    /** Finishes output entry o of out with value v, e the same entry of extra. */
    static void apply(int kind, float v, FloatArray out, int o, FloatArray extra, int e) {
        if (kind == SQUARED_RELU) {
            out.set(o, v);
            float r = TornadoMath.max(v, 0f);
            extra.set(e, r * r);
        } else if (kind == SQUARED_RELU_GRADIENT) {
            out.set(o, v * 2f * TornadoMath.max(extra.get(e), 0f));
        } else if (kind == ADD) {
            out.set(o, v + extra.get(e));
        } else {
            out.set(o, kind == ACCUMULATE ? out.get(o) + v : v);
        }
    }
}
