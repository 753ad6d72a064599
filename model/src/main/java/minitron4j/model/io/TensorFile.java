package minitron4j.model.io;

import minitron4j.model.ModelFormatException;
import minitron4j.model.Tensor;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.List;

/**
 * An open weights file (safetensors or a PyTorch .bin): names and shapes are known once it is open,
 * data is read and converted per tensor. Errors are {@link ModelFormatException}s naming the file.
 */
public interface TensorFile extends Closeable {
    Path path();

    /** Tensor names in the order the file lists them. */
    List<String> names();

    boolean contains(String name);

    /** Dtype and shape of a tensor; a name the file does not hold is a {@link ModelFormatException}. */
    TensorInfo info(String name);

    /** A float tensor (F32, BF16, F16 or F64 in the file) converted to fp32. */
    Tensor readFloats(String name);

    /** An I32 or I64 tensor as ints; I64 values outside the int range are an error. */
    IntTensor readInts(String name);

    /** Closing releases the mapping or the zip; it throws no checked exception. */
    @Override
    void close();
}
