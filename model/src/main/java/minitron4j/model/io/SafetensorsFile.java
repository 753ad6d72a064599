package minitron4j.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import minitron4j.model.ModelFormatException;
import minitron4j.model.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped with the FFM API (so files beyond 2 GB work) and validated as a
 * whole when opened: after {@link #open} every tensor's byte range is known to lie inside the data
 * area, to match its dtype and shape, and to neither overlap another nor leave a hole (the format
 * forbids holes). Reading allocates only after these checks.
 *
 * <p>Layout: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}}),
 * then the data area that the offsets index.
 */
public final class SafetensorsFile implements TensorFile {
    /** The safetensors library's own bound on the header; a longer one is hostile, not a model. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private record Entry(TensorInfo info, long begin, long end) {
    }

    private final Path path;
    /** The mapping's arena; null when the garbage collector owns it ({@link #openKeptMapped}). */
    private final Arena arena;
    /** File offset of the data area (8 + header length), for positional reads that bypass the mapping. */
    private final long dataStart;
    private final MemorySegment data;
    private final LinkedHashMap<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, long dataStart, MemorySegment data, LinkedHashMap<String, Entry> entries,
                            Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.dataStart = dataStart;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Maps and validates the file; nothing of a bad file stays open. {@link #close} unmaps it. */
    public static SafetensorsFile open(Path path) throws IOException {
        return open(path, Arena.ofShared(), true);
    }

    /**
     * {@link #open} for weights that outlive this object: the mapping stays valid while any segment
     * from {@link #bytes} is reachable, and is released by the garbage collector ({@link #close} is a
     * no-op). For models opened as stored.
     */
    public static SafetensorsFile openKeptMapped(Path path) throws IOException {
        return open(path, Arena.ofAuto(), false);
    }

    private static SafetensorsFile open(Path path, Arena arena, boolean closable) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw new ModelFormatException(path + ": file is " + size
                        + " bytes, shorter than the 8-byte header length that starts a safetensors file");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLength < 0 || headerLength > size - 8)
                throw new ModelFormatException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " reaches beyond the file (" + size + " bytes, so at most " + (size - 8) + ")");
            if (headerLength > MAX_HEADER_BYTES)
                throw new ModelFormatException(path + ": header length " + headerLength + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            byte[] header = all.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLength);
            LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = parseHeader(path, header, data.byteSize(), entries);
            return new SafetensorsFile(path, closable ? arena : null, 8 + headerLength, data, entries, metadata);
        } catch (IOException | RuntimeException e) {
            if (closable) arena.close();
            throw e;
        }
    }

    private static Map<String, String> parseHeader(Path path, byte[] header, long dataSize,
                                                   LinkedHashMap<String, Entry> entries) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (IOException e) {
            String why = e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage();
            throw new ModelFormatException(path + ": header is not valid JSON: " + why);
        }
        if (root == null || !root.isObject())
            throw new ModelFormatException(path + ": header must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (name.equals(METADATA_KEY)) metadata = parseMetadata(path, field.getValue());
            else entries.put(name, parseEntry(path, name, field.getValue(), dataSize));
        }
        checkLayout(path, entries.values(), dataSize);
        return metadata;
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode node) {
        if (!node.isObject())
            throw new ModelFormatException(path + ": " + METADATA_KEY + " must be an object of strings, found " + node);
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual())
                throw new ModelFormatException(path + ": " + METADATA_KEY + "." + e.getKey()
                        + " must be a string, found " + e.getValue());
            m.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(m);
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor \"" + name + "\"";
        if (!node.isObject()) throw new ModelFormatException(where + " must be an object, found " + node);
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual())
            throw new ModelFormatException(where + ": dtype must be a string, found " + dtypeNode);
        Dtype dtype = Dtype.fromSafetensors(dtypeNode.textValue());
        if (dtype == null)
            throw new ModelFormatException(where + ": unknown dtype \"" + dtypeNode.textValue() + "\" (expected one of "
                    + Dtype.names() + ")");

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray())
            throw new ModelFormatException(where + ": shape must be an array of integers, found " + shapeNode);
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber())
                throw new ModelFormatException(where + ": shape " + shapeNode + " holds a non-integer " + d);
            if (d.bigIntegerValue().signum() < 0)
                throw new ModelFormatException(where + ": shape " + shapeNode + " has a negative dimension " + d);
            if (!d.canConvertToInt())
                throw new ModelFormatException(where + ": shape " + shapeNode + " has dimension " + d
                        + ", above the largest supported " + Integer.MAX_VALUE);
            shape[i] = d.intValue();
            numel = multiply(numel, shape[i], where, shapeNode);
        }
        long needed = multiply(numel, dtype.bytes(), where, shapeNode);

        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2)
            throw new ModelFormatException(where + ": data_offsets must be [begin, end], found " + offsets);
        for (JsonNode o : offsets)
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0)
                throw new ModelFormatException(where + ": data_offsets " + offsets
                        + " must be two non-negative 64-bit integers");
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        if (end < begin)
            throw new ModelFormatException(where + ": data_offsets " + offsets + " are reversed (end before begin)");
        if (end > dataSize)
            throw new ModelFormatException(where + ": data_offsets " + offsets + " reach beyond the data area of "
                    + dataSize + " bytes");
        if (end - begin != needed)
            throw new ModelFormatException(where + ": dtype " + dtype + " and shape " + shapeNode + " need " + needed
                    + " bytes but data_offsets " + offsets + " hold " + (end - begin));
        return new Entry(new TensorInfo(name, dtype, shape), begin, end);
    }

    private static long multiply(long a, long b, String where, JsonNode shape) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": shape " + shape + " is too large (its byte size overflows 64 bits)");
        }
    }

    /** The byte ranges must tile the data area exactly: no overlap, no hole, nothing after the last tensor. */
    private static void checkLayout(Path path, Collection<Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered)
                throw new ModelFormatException(path + ": tensors \"" + previous.info().name() + "\" " + range(previous)
                        + " and \"" + e.info().name() + "\" " + range(e) + " overlap");
            if (e.begin() > covered)
                throw new ModelFormatException(path + ": bytes [" + covered + ", " + e.begin()
                        + ") of the data area belong to no tensor (before \"" + e.info().name()
                        + "\"); safetensors forbids holes");
            covered = e.end();
            if (e.end() > e.begin() || previous == null) previous = e;
        }
        if (covered != dataSize)
            throw new ModelFormatException(path + ": the tensors cover " + covered + " bytes but the data area holds "
                    + dataSize + " (trailing bytes belong to no tensor)");
    }

    private static String range(Entry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo i = entry(name).info();
        return new TensorInfo(i.name(), i.dtype(), i.shape().clone());
    }

    /** The {@code __metadata__} map (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor's raw little-endian bytes, mapped from the file and not copied: for kernels that decode
     * bf16 on the fly. Valid until {@link #close}.
     */
    public MemorySegment bytes(String name) {
        Entry e = entry(name);
        return data.asSlice(e.begin(), e.end() - e.begin());
    }

    /** The position in the file of the tensor's first byte: for streaming reads through a channel. */
    public long fileOffset(String name) {
        return dataStart + entry(name).begin();
    }

    @Override
    public Tensor readFloats(String name) {
        Entry e = entry(name);
        TensorInfo info = e.info();
        if (!info.dtype().isFloat())
            throw new ModelFormatException(path + ": tensor \"" + name + "\" has dtype " + info.dtype()
                    + ", expected a float type (F32, BF16, F16 or F64)");
        float[] out = new float[arrayLength(info)];
        info.dtype().toFloats(data, e.begin(), out, 0, out.length);
        return new Tensor(name, info.shape().clone(), out);
    }

    @Override
    public IntTensor readInts(String name) {
        Entry e = entry(name);
        TensorInfo info = e.info();
        if (!info.dtype().isInt())
            throw new ModelFormatException(path + ": tensor \"" + name + "\" has dtype " + info.dtype()
                    + ", expected I32 or I64");
        int[] out = new int[arrayLength(info)];
        int bad = info.dtype().toInts(data, e.begin(), out, 0, out.length);
        if (bad >= 0)
            throw new ModelFormatException(path + ": tensor \"" + name + "\" holds " + info.dtype().longAt(data, e.begin(), bad)
                    + " at element " + bad + ", outside the int range");
        return new IntTensor(info.shape().clone(), out);
    }

    private int arrayLength(TensorInfo info) {
        long n = info.numel();
        if (n > Integer.MAX_VALUE - 8)
            throw new ModelFormatException(path + ": tensor \"" + info.name() + "\" has " + n
                    + " elements, more than one Java array holds");
        return (int) n;
    }

    private Entry entry(String name) {
        if (arena != null && !arena.scope().isAlive()) throw new IllegalStateException(path + " is closed");
        Entry e = entries.get(name);
        if (e == null) throw new ModelFormatException(path + ": no tensor named \"" + name + "\"");
        return e;
    }

    @Override
    public void close() {
        // An automatic arena (openKeptMapped, arena null) cannot be closed: the collector unmaps it.
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + entries.size() + " tensors" + (metadata.isEmpty() ? "" : ", metadata "
                + metadata) + "]";
    }
}
