package minitron4j.training;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped file of little-endian int32 token ids ({@code train.bin}, {@code val.bin}).
 * Mapped through FFM, so files past 2 GB work; ids are read, never copied as a whole.
 */
public final class TokenFile {
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment segment;
    private final long length;

    private TokenFile(Path path, MemorySegment segment) {
        this.path = path;
        this.segment = segment;
        this.length = segment.byteSize() / Integer.BYTES;
    }

    /** Maps the file into arena (which decides when the mapping ends). */
    static TokenFile map(Path path, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size % Integer.BYTES != 0)
                throw new IOException(path + ": size " + size + " bytes is not a multiple of 4 (int32 token ids)");
            MemorySegment seg = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new TokenFile(path, seg);
        }
    }

    public Path path() {
        return path;
    }

    /** Number of tokens. */
    public long length() {
        return length;
    }

    public int get(long index) {
        return segment.getAtIndex(LE_INT, index);
    }

    /** Copies tokens [start, start + count) into dst[offset..]. */
    public void read(long start, int[] dst, int offset, int count) {
        if (start < 0 || start + count > length)
            throw new IndexOutOfBoundsException(path + ": tokens [" + start + ", " + (start + count)
                    + ") outside the file's " + length);
        for (int i = 0; i < count; i++) dst[offset + i] = segment.getAtIndex(LE_INT, start + i);
    }
}
