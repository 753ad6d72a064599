package minitron4j.model.io;

import java.util.Arrays;

/** What a weights file says about one tensor before its data is read: element type and shape. */
public record TensorInfo(String name, Dtype dtype, int[] shape) {
    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return numel() * dtype.bytes();
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
