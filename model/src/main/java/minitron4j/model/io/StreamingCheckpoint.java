package minitron4j.model.io;

import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TensorRows;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors checkpoint read through its headers and then row by row with positional reads, never
 * mapped as a whole: opening reads config.json and the headers only (so {@code info} on a 30 GB model
 * takes milliseconds), and reading a tensor holds one row at a time. The page cache may keep what was
 * read, but the process does not: resident memory stays of the order of a row whatever the model's
 * size. For {@code info}, {@code convert}, {@code prune}.
 */
public final class StreamingCheckpoint implements TensorRows, AutoCloseable {
    private record Location(FileChannel channel, Path file, long offset, TensorInfo info) {}

    private final Path dir;
    private final NemotronConfig config;
    private final LinkedHashMap<String, Location> tensors;
    private final List<FileChannel> channels;
    private final ThreadLocal<ByteBuffer> rowBuffer = new ThreadLocal<>();

    private StreamingCheckpoint(Path dir, NemotronConfig config, LinkedHashMap<String, Location> tensors,
                                List<FileChannel> channels) {
        this.dir = dir;
        this.config = config;
        this.tensors = tensors;
        this.channels = channels;
    }

    /** Whether the folder holds safetensors weights (else only {@link Checkpoint#load} reads it). */
    public static boolean canStream(Path dir) {
        return Files.isRegularFile(dir.resolve(Checkpoint.SAFETENSORS))
                || Files.isRegularFile(dir.resolve(Checkpoint.SAFETENSORS_INDEX));
    }

    /** Reads config.json and every shard's header, checking the tensors against the config. */
    public static StreamingCheckpoint open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a checkpoint folder (no such folder)");
        NemotronConfig config = NemotronConfig.load(dir.resolve(Checkpoint.CONFIG));
        LinkedHashMap<Path, List<String>> shards = Checkpoint.shards(dir);
        HashMap<String, Location> found = new HashMap<>();
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (Map.Entry<Path, List<String>> shard : shards.entrySet()) {
                Path file = shard.getKey();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                channels.add(ch);
                try (SafetensorsFile f = SafetensorsFile.open(file)) { // validates the header; touches no data page
                    for (String name : shard.getValue() == null ? f.names() : shard.getValue()) {
                        if (!f.contains(name))
                            throw new ModelFormatException(dir + ": the index puts tensor \"" + name + "\" in "
                                    + file.getFileName() + ", but that shard has no such tensor");
                        TensorInfo info = f.info(name);
                        if (!info.dtype().isFloat())
                            throw new ModelFormatException(file + ": tensor \"" + name + "\" has dtype " + info.dtype()
                                    + ", expected a float type (F32, BF16, F16 or F64)");
                        found.put(name, new Location(ch, file, f.fileOffset(name), info));
                    }
                }
            }
            LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();
            found.forEach((n, l) -> shapes.put(n, l.info().shape()));
            Parameters.checkTable(config, shapes, dir.toString());
            LinkedHashMap<String, Location> ordered = new LinkedHashMap<>();
            for (String name : Parameters.expectedShapes(config).keySet())
                ordered.put(name, found.get(config.architecture().fileKey(name)));
            return new StreamingCheckpoint(dir, config, ordered, channels);
        } catch (IOException | RuntimeException e) {
            for (FileChannel ch : channels) ch.close();
            throw e;
        }
    }

    @Override
    public NemotronConfig config() {
        return config;
    }

    /** The config's tensors as stored, in HF order. */
    public List<TensorInfo> tensors() {
        return tensors.values().stream().map(Location::info).toList();
    }

    /** The element type of the weights: the common one, F32 when they mix types. */
    public Dtype dtype() {
        Dtype d = null;
        for (Location l : tensors.values()) d = d == null || d == l.info().dtype() ? l.info().dtype() : Dtype.F32;
        return d;
    }

    /** Bytes of weights on disk (the config's tensors). */
    public long weightBytes() {
        long n = 0;
        for (Location l : tensors.values()) n += l.info().byteSize();
        return n;
    }

    @Override
    public int[] shape(String name) {
        return location(name).info().shape().clone();
    }

    @Override
    public void readRow(String name, int row, float[] dst) throws IOException {
        Location l = location(name);
        int rows = Tensor.rows(l.info().shape()), cols = Tensor.rowLength(l.info().shape());
        if (row < 0 || row >= rows) throw new IndexOutOfBoundsException(name + ": row " + row + " of " + rows);
        int bytes = cols * l.info().dtype().bytes();
        ByteBuffer buf = rowBuffer.get();
        if (buf == null || buf.capacity() < bytes) {
            buf = ByteBuffer.allocateDirect(Math.max(bytes, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
            rowBuffer.set(buf);
        }
        buf.clear().limit(bytes);
        long position = l.offset() + (long) row * bytes;
        while (buf.hasRemaining()) {
            int n = l.channel().read(buf, position + buf.position());
            if (n < 0)
                throw new ModelFormatException(l.file() + ": file ends inside tensor \"" + name + "\" (row " + row + ")");
        }
        l.info().dtype().toFloats(MemorySegment.ofBuffer(buf.flip()), 0, dst, 0, cols);
    }

    private Location location(String name) {
        Location l = tensors.get(name);
        if (l == null) throw new IllegalArgumentException(dir + ": no tensor " + name);
        return l;
    }

    @Override
    public void close() throws IOException {
        for (FileChannel ch : channels) ch.close();
    }
}
