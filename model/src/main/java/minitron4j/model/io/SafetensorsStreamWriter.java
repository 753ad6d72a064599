package minitron4j.model.io;

import minitron4j.kernels.HalfFloat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file of float tensors whose rows are produced as it goes
 * ({@link StreamedTensor}): memory of the order of one block of rows, whatever the file's size. The
 * header comes first (shapes are known up front), then each tensor in order, converted to F32, BF16
 * (round-to-nearest-even) or F16. The file appears only complete ({@link AtomicWrites#replaceFile}).
 */
public final class SafetensorsStreamWriter {
    /** Floats produced per block: 16 MiB of fp32 at most, whatever the row length (one row at least). */
    private static final long BLOCK_FLOATS = 4L << 20;
    private static final int BUFFER_BYTES = 4 << 20;

    private SafetensorsStreamWriter() {}

    public static void write(Path file, Map<String, String> metadata, List<StreamedTensor> tensors, Dtype dtype)
            throws IOException {
        if (!Dtype.writable(dtype)) throw new IllegalArgumentException("float tensors are written as F32, BF16 or F16, not " + dtype);
        List<TensorInfo> infos = new ArrayList<>();
        for (StreamedTensor t : tensors) infos.add(new TensorInfo(t.name(), dtype, t.shape()));
        byte[] header = SafetensorsWriter.header(metadata, infos);
        AtomicWrites.replaceFile(file, ch -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length);
            flush(ch, buf);
            writeFully(ch, ByteBuffer.wrap(header));
            for (StreamedTensor t : tensors) writeTensor(ch, buf, t, dtype);
            flush(ch, buf);
        });
    }

    private static void writeTensor(FileChannel ch, ByteBuffer buf, StreamedTensor t, Dtype dtype) throws IOException {
        int rows = t.rows();
        long cols = t.cols();
        if (cols > BLOCK_FLOATS * 64) throw new IllegalArgumentException(t.name() + ": rows of " + cols + " values are too long to stream");
        int blockRows = (int) Math.max(1, Math.min(rows, BLOCK_FLOATS / Math.max(1, cols)));
        float[] block = new float[(int) (blockRows * cols)];
        for (int r = 0; r < rows; r += blockRows) {
            int count = Math.min(blockRows, rows - r);
            t.source().rows(r, count, block);
            put(ch, buf, block, (int) (count * cols), dtype);
        }
    }

    /** Appends x[0..n) converted to dtype through buf, flushing it to ch whenever it fills. */
    static void put(FileChannel ch, ByteBuffer buf, float[] x, int n, Dtype dtype) throws IOException {
        int elementBytes = dtype.bytes();
        for (int pos = 0; pos < n; ) {
            if (buf.remaining() < elementBytes) flush(ch, buf);
            int count = Math.min(buf.remaining() / elementBytes, n - pos);
            int at = buf.position();
            switch (dtype) {
                case F32 -> buf.asFloatBuffer().put(x, pos, count);
                case BF16 -> { for (int i = 0; i < count; i++) buf.putShort(at + 2 * i, HalfFloat.BF16.fromFloat(x[pos + i])); }
                case F16 -> { for (int i = 0; i < count; i++) buf.putShort(at + 2 * i, HalfFloat.F16.fromFloat(x[pos + i])); }
                default -> throw new IllegalStateException(dtype.toString());
            }
            buf.position(at + count * elementBytes);
            pos += count;
        }
    }

    static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(ch, buf);
        buf.clear();
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
