package minitron4j.model.io;

import minitron4j.model.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Stored 16-bit weights read once into process memory outside the heap, instead of served from the
 * mapped file. The bytes are the file's own (no widening, no heap copy); what changes is the memory
 * behind them: decoding one token streams every weight, and on this project's machine a matrix-vector
 * product read 17 GB/s from a mapped page-cache file against 32-38 GB/s from anonymous memory (the
 * file's pages are small and scattered, so the TLB misses; anonymous memory can take transparent huge
 * pages, which {@link #adviseHugePages} asks for). Reading goes through positional reads, so the file
 * is never mapped and its pages never count in the resident set twice.
 */
final class ResidentWeights {
    /** Bytes read per call: a ByteBuffer view holds at most 2 GB. */
    private static final int CHUNK = 1 << 30;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final Optional<MethodHandle> MADVISE = libc("madvise",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> MMAP = libc("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG));
    private static final Optional<MethodHandle> MUNMAP = libc("munmap",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private ResidentWeights() {}

    /** Reads bytes [offset, offset + size) of the file into a new segment of arena (which every thread may read). */
    static MemorySegment read(FileChannel ch, Path file, long offset, long size, Arena arena) throws IOException {
        MemorySegment seg = allocate(Math.max(size, 1), arena);
        for (long done = 0; done < size; ) {
            ByteBuffer buf = seg.asSlice(done, Math.min(CHUNK, size - done)).asByteBuffer();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, offset + done + buf.position());
                if (n < 0) throw new ModelFormatException(file + ": file ends at byte " + (offset + done + buf.position())
                        + " inside a tensor");
            }
            done += buf.capacity();
        }
        return size == 0 ? seg.asSlice(0, 0) : seg.asSlice(0, size);
    }

    /**
     * Anonymous memory from the kernel (mmap), released with the arena: unlike {@link Arena#allocate}
     * it does not count against the JVM's direct-memory limit (which defaults to -Xmx, so a 16 GB model
     * would not fit beside a 16 GB heap limit), and it is page-aligned for huge pages.
     */
    private static MemorySegment allocate(long size, Arena arena) {
        if (MMAP.isEmpty()) return arena.allocate(size, HUGE_PAGE);
        MemorySegment raw;
        try {
            raw = (MemorySegment) MMAP.get().invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("mmap of " + size + " bytes failed", e);
        }
        if (raw.address() == -1L) throw new OutOfMemoryError("mmap of " + size + " bytes for the weights failed");
        MethodHandle munmap = MUNMAP.orElseThrow();
        long address = raw.address();
        MemorySegment seg = raw.reinterpret(size, arena, ignored -> {
            try {
                int rc = (int) munmap.invokeExact(MemorySegment.ofAddress(address), size);
            } catch (Throwable e) {
                // the process keeps the pages; nothing else to do at release time
            }
        });
        adviseHugePages(seg);
        return seg;
    }

    /** Asks Linux for transparent huge pages behind seg (best effort: nothing happens elsewhere). */
    private static void adviseHugePages(MemorySegment seg) {
        if (MADVISE.isEmpty() || seg.byteSize() < HUGE_PAGE) return;
        try {
            int ignored = (int) MADVISE.get().invokeExact(seg, seg.byteSize() / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
        } catch (Throwable e) {
            // advice only: the weights work without huge pages, a little slower
        }
    }

    /** A C library function of Linux (x86-64 and aarch64 share these constants), or empty elsewhere. */
    private static Optional<MethodHandle> libc(String name, FunctionDescriptor descriptor) {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return Optional.empty();
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name).map(addr -> linker.downcallHandle(addr, descriptor));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }
}
