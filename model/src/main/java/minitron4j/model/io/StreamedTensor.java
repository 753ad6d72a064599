package minitron4j.model.io;

import minitron4j.model.Tensor;
import minitron4j.model.TensorRows;

/**
 * A tensor to be written without holding it whole: its rows are produced on demand, a block at a
 * time, in order. Shapes are HF's; a 1-D tensor is one row, and an n-D tensor has shape[0] rows of
 * the product of the other dimensions.
 */
public record StreamedTensor(String name, int[] shape, RowSource source) {
    /** Fills rows [first, first + count) of the tensor into dst, row after row. */
    @FunctionalInterface
    public interface RowSource {
        void rows(int first, int count, float[] dst) throws java.io.IOException;
    }

    public StreamedTensor {
        shape = shape.clone();
        if (shape.length == 0) throw new IllegalArgumentException(name + ": a scalar is not streamed");
    }

    /** An in-memory tensor, streamed from its array. */
    public static StreamedTensor of(Tensor t) {
        int cols = Tensor.rowLength(t.shape());
        return new StreamedTensor(t.name(), t.shape(), (first, count, dst) ->
                System.arraycopy(t.data(), first * cols, dst, 0, count * cols));
    }

    /** Tensor {@code name} of a model, read a row at a time as the writer asks for it. */
    public static StreamedTensor of(TensorRows model, String name) {
        int[] shape = model.shape(name);
        int cols = Tensor.rowLength(shape);
        return new StreamedTensor(name, shape, (first, count, dst) -> {
            float[] row = new float[cols];
            for (int r = 0; r < count; r++) {
                model.readRow(name, first + r, row);
                System.arraycopy(row, 0, dst, r * cols, cols);
            }
        });
    }

    public int rows() {
        return Tensor.rows(shape);
    }

    public long cols() {
        return Tensor.rowLength(shape);
    }

    public long numel() {
        return Tensor.numel(shape);
    }

}
