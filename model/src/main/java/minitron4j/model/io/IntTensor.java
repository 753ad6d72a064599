package minitron4j.model.io;

import java.util.Arrays;

/** Integer data (token ids) read from an I32 or I64 tensor: row-major values with their shape. */
public record IntTensor(int[] shape, int[] data) {
    public IntTensor {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values but data has "
                    + data.length);
    }
}
