package minitron4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix [rows, cols], row-major, in HF's [out, in] convention, as stored: fp32 on the heap
 * or 16-bit bytes (usually mapped from the checkpoint, so it may exceed 2 GB and is never copied
 * to the heap). The kernels ({@link Gemm#linear(float[], float[], WeightMatrix, int)},
 * {@link Embedding#forward(float[], int[], WeightMatrix, int)}) convert 16-bit weights to fp32 as
 * they read them.
 */
public sealed interface WeightMatrix permits WeightMatrix.F32, WeightMatrix.Half {
    int rows();

    int cols();

    /** dst[off + i] = element (r, c0 + i) as fp32, for i &lt; n. */
    void decodeRow(int r, int c0, int n, float[] dst, int off);

    /** data holds [rows, cols] row-major; it is used, not copied. */
    static F32 of(float[] data, int rows, int cols) {
        return new F32(data, rows, cols);
    }

    /** bytes holds [rows, cols] row-major, 2 little-endian bytes an element; they are read, not copied. */
    static Half of(MemorySegment bytes, HalfFloat format, int rows, int cols) {
        return new Half(bytes, format, rows, cols);
    }

    /** fp32 weights on the heap. */
    record F32(float[] data, int rows, int cols) implements WeightMatrix {
        public F32 {
            checkShape(rows, cols);
            if (data.length != (long) rows * cols) {
                throw new IllegalArgumentException("WeightMatrix [" + rows + "," + cols + "] needs "
                        + (long) rows * cols + " floats, array has " + data.length);
            }
        }

        @Override
        public void decodeRow(int r, int c0, int n, float[] dst, int off) {
            checkRow(this, r, c0, n, dst, off);
            System.arraycopy(data, r * cols + c0, dst, off, n);
        }
    }

    /** 16-bit weights, little-endian, in any segment (heap, native or mapped). */
    record Half(MemorySegment bytes, HalfFloat format, int rows, int cols) implements WeightMatrix {
        private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        /** A thread that owns no arena: a segment it may access is accessible from every thread. */
        private static final Thread NO_OWNER = Thread.ofPlatform().unstarted(() -> {});

        public Half {
            checkShape(rows, cols);
            if (format == null) throw new IllegalArgumentException("WeightMatrix: format is null");
            if (bytes.byteSize() != 2L * rows * cols) {
                throw new IllegalArgumentException("WeightMatrix [" + rows + "," + cols + "] of " + format + " needs "
                        + 2L * rows * cols + " bytes, segment has " + bytes.byteSize());
            }
        }

        @Override
        public void decodeRow(int r, int c0, int n, float[] dst, int off) {
            checkRow(this, r, c0, n, dst, off);
            HalfMath.decode(bytes, offset(r, c0), format, dst, off, n);
        }

        /** sum_i x[xOff+i] * W(r, i) over the row's cols: the decode (matrix-vector) inner loop, reading each weight byte once. */
        public float dotRow(int r, float[] x, int xOff) {
            if (r < 0 || r >= rows) throw new IllegalArgumentException("dotRow: row " + r + " outside [0, " + rows + ")");
            return HalfMath.dot(x, xOff, bytes, offset(r, 0), format, cols);
        }

        /**
         * Fails unless any thread may read the segment: the kernels read it from the pool's threads,
         * and a segment of a confined arena would fail there (or not, depending on the thread count).
         */
        void checkShared(String op) {
            if (!bytes.isAccessibleBy(NO_OWNER)) {
                throw new IllegalArgumentException(op + ": the weights' segment is confined to one thread, but the kernels"
                        + " read it from the thread pool; allocate or map it in Arena.ofShared(), Arena.ofAuto() or Arena.global()");
            }
        }

        /** The byte offset of element (r, c): long, as a mapped checkpoint may exceed 2 GB. */
        long offset(int r, int c) {
            return 2L * ((long) r * cols + c);
        }

        /** Element (r, c) as fp32, unchecked beyond the segment's own bounds; for plain loops. */
        float get(int r, int c) {
            return format.toFloat(bytes.get(LE, offset(r, c)));
        }
    }

    private static void checkShape(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("WeightMatrix: sizes must be >= 0, got [" + rows + "," + cols + "]");
        }
    }

    private static void checkRow(WeightMatrix w, int r, int c0, int n, float[] dst, int off) {
        if (r < 0 || r >= w.rows()) {
            throw new IllegalArgumentException("decodeRow: row " + r + " outside [0, " + w.rows() + ")");
        }
        if (c0 < 0 || n < 0 || c0 + (long) n > w.cols()) {
            throw new IllegalArgumentException("decodeRow: columns [" + c0 + ", " + c0 + "+" + n + ") outside [0, " + w.cols() + ")");
        }
        if (off < 0 || off + (long) n > dst.length) {
            throw new IllegalArgumentException("decodeRow: " + n + " floats at offset " + off + " do not fit an array of " + dst.length);
        }
    }
}
