package minitron4j.model;

import minitron4j.kernels.VectorMath;

import java.util.Arrays;

/** A named fp32 tensor: row-major data with its shape. The data array is owned, not copied, on construction. */
public record Tensor(String name, int[] shape, float[] data) {
    public Tensor {
        long n = numel(shape);
        if (n != data.length)
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " values but data has " + data.length);
    }

    /** The first entry that is NaN or infinite as "name[index] = value", or null when all are finite (vectorised). */
    public String firstNonFinite() {
        int i = VectorMath.firstNonFinite(data, 0, data.length);
        return i < 0 ? null : name + "[" + i + "] = " + data[i];
    }

    public static Tensor zeros(String name, int... shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(name + ": " + n + " values exceed one Java array");
        return new Tensor(name, shape.clone(), new float[(int) n]);
    }

    /**
     * Rows of a tensor read or written a row at a time (streaming, pruning): a 1-D tensor is one row,
     * an n-D tensor has shape[0] rows of {@link #rowLength} values.
     */
    public static int rows(int[] shape) {
        return shape.length == 1 ? 1 : shape[0];
    }

    /** Values in one row of {@link #rows}: the product of the dimensions after the first (all of a 1-D tensor). */
    public static int rowLength(int[] shape) {
        int rows = rows(shape);
        return rows == 0 ? 0 : Math.toIntExact(numel(shape) / rows);
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public int size() {
        return data.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public Tensor copy() {
        return new Tensor(name, shape.clone(), data.clone());
    }

    public Tensor renamed(String newName) {
        return new Tensor(newName, shape, data);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
