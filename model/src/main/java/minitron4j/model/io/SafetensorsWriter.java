package minitron4j.model.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a safetensors file: float tensors as F32, BF16 (round-to-nearest-even) or F16, int tensors as
 * I32; tensors in the order they were added; the header padded with spaces to a multiple of 8 bytes as
 * the safetensors library does. Data streams through a small buffer, so files beyond 2 GB work, and the
 * file appears only complete ({@link AtomicWrites#replaceFile}).
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER_BYTES = 1 << 20;

    private sealed interface Item permits FloatItem, IntItem {
        String name();

        int[] shape();

        Dtype dtype();

        int length();
    }

    private record FloatItem(String name, int[] shape, float[] data, Dtype dtype) implements Item {
        public int length() {
            return data.length;
        }
    }

    private record IntItem(String name, int[] shape, int[] data) implements Item {
        public Dtype dtype() {
            return Dtype.I32;
        }

        public int length() {
            return data.length;
        }
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Item> items = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds a {@code __metadata__} entry (HF writes {"format": "pt"}). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a float tensor to be stored as F32, BF16 or F16. The data is read at {@link #write} time, not copied. */
    public SafetensorsWriter add(Tensor tensor, Dtype dtype) {
        if (!Dtype.writable(dtype))
            throw new IllegalArgumentException(tensor.name() + ": float tensors are written as F32, BF16 or F16, not "
                    + dtype);
        register(tensor.name());
        items.add(new FloatItem(tensor.name(), tensor.shape().clone(), tensor.data(), dtype));
        return this;
    }

    /** Adds an int tensor, stored as I32. */
    public SafetensorsWriter add(String name, IntTensor tensor) {
        register(name);
        items.add(new IntItem(name, tensor.shape().clone(), tensor.data()));
        return this;
    }

    private void register(String name) {
        if (name.equals(SafetensorsFile.METADATA_KEY))
            throw new IllegalArgumentException(name + " is reserved for the metadata map");
        if (!names.add(name)) throw new IllegalArgumentException("tensor " + name + " added twice");
    }

    /** Bytes of tensor data the file will hold (without the header). */
    public long dataBytes() {
        long n = 0;
        for (Item it : items) n += (long) it.length() * it.dtype().bytes();
        return n;
    }

    /** Writes the file; an existing file at {@code file} is replaced only once the new one is complete. */
    public void write(Path file) throws IOException {
        byte[] header = header();
        AtomicWrites.replaceFile(file, ch -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length);
            SafetensorsStreamWriter.flush(ch, buf);
            SafetensorsStreamWriter.writeFully(ch, ByteBuffer.wrap(header));
            for (Item it : items) writeData(ch, buf, it);
            SafetensorsStreamWriter.flush(ch, buf);
        });
    }

    private byte[] header() throws IOException {
        List<TensorInfo> infos = new ArrayList<>();
        for (Item it : items) infos.add(new TensorInfo(it.name(), it.dtype(), it.shape()));
        return header(metadata, infos);
    }

    /**
     * The header of a file holding these tensors in this order, contiguous from offset 0, padded with
     * spaces to a multiple of 8 bytes (without the 8-byte length that precedes it).
     */
    static byte[] header(Map<String, String> metadata, List<TensorInfo> tensors) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (TensorInfo it : tensors) {
            ObjectNode o = root.putObject(it.name());
            o.put("dtype", it.dtype().name());
            ArrayNode shape = o.putArray("shape");
            for (int d : it.shape()) shape.add(d);
            long end = offset + it.numel() * it.dtype().bytes();
            o.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeData(FileChannel ch, ByteBuffer buf, Item item) throws IOException {
        switch (item) {
            case FloatItem f -> SafetensorsStreamWriter.put(ch, buf, f.data(), f.length(), f.dtype());
            case IntItem t -> {
                for (int pos = 0; pos < t.length(); ) {
                    if (buf.remaining() < Integer.BYTES) SafetensorsStreamWriter.flush(ch, buf);
                    int n = Math.min(buf.remaining() / Integer.BYTES, t.length() - pos);
                    buf.asIntBuffer().put(t.data(), pos, n);
                    buf.position(buf.position() + n * Integer.BYTES);
                    pos += n;
                }
            }
        }
    }
}
