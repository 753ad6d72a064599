package minitron4j.model;

import java.io.IOException;

/**
 * Read access to a model's tensors one row at a time, in fp32, wherever they live (a heap pool, a
 * mapped or streamed file): what pruning and conversion need to cut or copy a model without holding
 * it. A 1-D tensor is one row.
 */
public interface TensorRows {
    NemotronConfig config();

    int[] shape(String name);

    /** Row {@code row} of tensor {@code name} (all its values for a 1-D tensor) into dst[0..cols). */
    void readRow(String name, int row, float[] dst) throws IOException;
}
