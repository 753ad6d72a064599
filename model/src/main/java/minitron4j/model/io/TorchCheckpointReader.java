package minitron4j.model.io;

import minitron4j.model.ModelFormatException;
import minitron4j.model.Tensor;
import minitron4j.model.io.StateDictUnpickler.TensorRef;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A {@code pytorch_model.bin} as torch.save writes it since torch 1.6: a zip whose entries sit under one
 * folder ({@code ARCHIVE/data.pkl}, {@code ARCHIVE/data/KEY} per storage, {@code ARCHIVE/byteorder}).
 * The pickle is read by {@link StateDictUnpickler}, which runs no code and refuses every global a state
 * dict does not need. Storages are little-endian raw arrays; a tensor is a strided view of one of them
 * (offset and strides honoured; non-contiguous views are gathered).
 */
public final class TorchCheckpointReader implements TensorFile {
    /**
     * A state dict's pickle holds names and shapes only, about 150 bytes per tensor (a 70B model's is
     * ~120 KB); the bound keeps a hostile one from costing much memory.
     */
    static final long MAX_PICKLE_BYTES = 8L << 20;
    private static final int CHUNK_BYTES = 1 << 20;

    private final Path path;
    private final ZipFile zip;
    private final String prefix;
    private final LinkedHashMap<String, TensorRef> tensors;

    private TorchCheckpointReader(Path path, ZipFile zip, String prefix, LinkedHashMap<String, TensorRef> tensors) {
        this.path = path;
        this.zip = zip;
        this.prefix = prefix;
        this.tensors = tensors;
    }

    /** Opens the zip, reads the pickle and checks every tensor against its storage entry. */
    public static TorchCheckpointReader open(Path path) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new ModelFormatException(path + ": not a zip archive" + (startsLikePickle(path)
                    ? " but a bare pickle: the legacy torch.save format (before torch 1.6), which is not supported;"
                    + " re-save it with a recent torch or as safetensors" : " (" + e.getMessage() + ")"));
        }
        try {
            String prefix = archivePrefix(path, zip);
            checkByteOrder(path, zip, prefix);
            byte[] pickle = readPickle(path, zip, prefix);
            Object root = StateDictUnpickler.load(path + "!" + prefix + "data.pkl", pickle);
            LinkedHashMap<String, TensorRef> tensors = stateDict(path, root);
            TorchCheckpointReader r = new TorchCheckpointReader(path, zip, prefix, tensors);
            for (Map.Entry<String, TensorRef> e : tensors.entrySet()) r.checkStorage(e.getKey(), e.getValue());
            return r;
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static boolean startsLikePickle(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.read() == 0x80;
        }
    }

    /** The folder every entry sits in; torch names it after the file, but any single folder is accepted. */
    private static String archivePrefix(Path path, ZipFile zip) {
        List<String> found = new ArrayList<>();
        for (ZipEntry e : Collections.list(zip.entries())) {
            String n = e.getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                found.add(n.substring(0, n.length() - "data.pkl".length()));
        }
        if (found.size() != 1)
            throw new ModelFormatException(path + ": expected exactly one ARCHIVE/data.pkl entry in the zip, found "
                    + (found.isEmpty() ? "none" : found.size() + " " + found) + "; not a torch.save checkpoint");
        return found.getFirst();
    }

    private static void checkByteOrder(Path path, ZipFile zip, String prefix) throws IOException {
        ZipEntry e = zip.getEntry(prefix + "byteorder");
        if (e == null) return; // written since torch 1.13; older files are little-endian
        try (InputStream in = zip.getInputStream(e)) {
            String order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little"))
                throw new ModelFormatException(path + ": " + prefix + "byteorder says \"" + order
                        + "\"; only little-endian checkpoints are supported");
        }
    }

    private static byte[] readPickle(Path path, ZipFile zip, String prefix) throws IOException {
        ZipEntry e = zip.getEntry(prefix + "data.pkl");
        if (e.getSize() > MAX_PICKLE_BYTES)
            throw new ModelFormatException(path + ": " + e.getName() + " is " + e.getSize() + " bytes, beyond the "
                    + MAX_PICKLE_BYTES + " a state dict's pickle needs");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) MAX_PICKLE_BYTES + 1);
            if (b.length > MAX_PICKLE_BYTES)
                throw new ModelFormatException(path + ": " + e.getName() + " inflates beyond " + MAX_PICKLE_BYTES + " bytes");
            return b;
        }
    }

    private static LinkedHashMap<String, TensorRef> stateDict(Path path, Object root) {
        if (!(root instanceof Map<?, ?> map))
            throw new ModelFormatException(path + ": the pickle holds " + (root == null ? "None" : root.getClass().getSimpleName())
                    + ", expected a state dict (a dict of tensors)");
        LinkedHashMap<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String name))
                throw new ModelFormatException(path + ": state dict key " + e.getKey() + " is not a string");
            if (!(e.getValue() instanceof TensorRef t))
                throw new ModelFormatException(path + ": state dict entry \"" + name + "\" is not a tensor");
            out.put(name, t);
        }
        return out;
    }

    /** Every element the view reaches must lie inside the storage, and the storage inside its zip entry. */
    private void checkStorage(String name, TensorRef t) {
        String where = path + ": tensor \"" + name + "\"";
        ZipEntry e = zip.getEntry(storageEntry(t));
        if (e == null)
            throw new ModelFormatException(where + ": storage entry " + storageEntry(t) + " is missing from the zip");
        long storageBytes = multiply(where, t.storage().numel(), t.storage().dtype().bytes());
        if (e.getSize() < storageBytes)
            throw new ModelFormatException(where + ": storage " + e.getName() + " holds " + e.getSize() + " bytes but "
                    + t.storage().storageType() + " of " + t.storage().numel() + " elements needs " + storageBytes);
        long numel = 1;
        for (int d : t.shape()) numel = multiply(where, numel, d);
        if (numel > Integer.MAX_VALUE - 8)
            throw new ModelFormatException(where + ": " + numel + " elements, more than one Java array holds");
        if (numel == 0) return;
        String view = "shape " + Arrays.toString(t.shape()) + ", stride " + Arrays.toString(t.stride()) + " and offset "
                + t.offset();
        long last;
        try {
            last = lastIndex(t);
        } catch (ArithmeticException x) {
            throw new ModelFormatException(where + ": " + view + " reach beyond 64-bit element indices");
        }
        if (last >= t.storage().numel())
            throw new ModelFormatException(where + ": " + view + " reach element " + last + " of a storage of "
                    + t.storage().numel() + " elements");
    }

    private static long multiply(String where, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": size overflows 64 bits");
        }
    }

    /** The storage index of the view's last element; only for views with at least one element. */
    private static long lastIndex(TensorRef t) {
        long last = t.offset();
        for (int i = 0; i < t.shape().length; i++)
            last = Math.addExact(last, Math.multiplyExact(t.shape()[i] - 1L, t.stride()[i]));
        return last;
    }

    private static boolean contiguous(TensorRef t) {
        long expected = 1;
        for (int i = t.shape().length - 1; i >= 0; i--) {
            if (t.shape()[i] != 1 && t.stride()[i] != expected) return false;
            expected *= t.shape()[i];
        }
        return true;
    }

    private String storageEntry(TensorRef t) {
        return prefix + "data/" + t.storage().key();
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorRef t = ref(name);
        return new TensorInfo(name, t.storage().dtype(), t.shape().clone());
    }

    @Override
    public Tensor readFloats(String name) {
        TensorRef t = ref(name);
        Dtype dtype = t.storage().dtype();
        if (!dtype.isFloat())
            throw new ModelFormatException(path + ": tensor \"" + name + "\" is stored as " + t.storage().storageType()
                    + ", expected a float storage");
        float[] out = new float[numel(t)];
        read(name, t, (src, offset, dstPos, count) -> dtype.toFloats(src, offset, out, dstPos, count));
        return new Tensor(name, t.shape().clone(), out);
    }

    @Override
    public IntTensor readInts(String name) {
        TensorRef t = ref(name);
        Dtype dtype = t.storage().dtype();
        if (!dtype.isInt())
            throw new ModelFormatException(path + ": tensor \"" + name + "\" is stored as " + t.storage().storageType()
                    + ", expected IntStorage or LongStorage");
        int[] out = new int[numel(t)];
        read(name, t, (src, offset, dstPos, count) -> {
            int bad = dtype.toInts(src, offset, out, dstPos, count);
            if (bad >= 0)
                throw new ModelFormatException(path + ": tensor \"" + name + "\" holds " + dtype.longAt(src, offset, bad)
                        + " at element " + (dstPos + bad) + ", outside the int range");
        });
        return new IntTensor(t.shape().clone(), out);
    }

    /** Converts {@code count} elements at byte {@code offset} of {@code src} into the output from {@code dstPos}. */
    private interface Converter {
        void convert(MemorySegment src, long offset, int dstPos, int count);
    }

    private void read(String name, TensorRef t, Converter converter) {
        int numel = numel(t);
        if (numel == 0) return;
        int elementBytes = t.storage().dtype().bytes();
        ZipEntry entry = zip.getEntry(storageEntry(t));
        try (InputStream in = zip.getInputStream(entry)) {
            in.skipNBytes(t.offset() * elementBytes);
            if (contiguous(t)) {
                byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, (long) numel * elementBytes)];
                MemorySegment seg = MemorySegment.ofArray(chunk);
                for (int done = 0; done < numel; ) {
                    int n = Math.min(chunk.length / elementBytes, numel - done);
                    if (in.readNBytes(chunk, 0, n * elementBytes) != n * elementBytes)
                        throw new IOException("storage ends early");
                    converter.convert(seg, 0, done, n);
                    done += n;
                }
            } else {
                gather(name, t, in, converter);
            }
        } catch (IOException e) {
            throw new ModelFormatException(path + ": tensor \"" + name + "\": cannot read storage " + entry.getName()
                    + ": " + e.getMessage(), e);
        }
    }

    /** A strided view: read the span of the storage it covers, then pick its elements in row-major order. */
    private void gather(String name, TensorRef t, InputStream in, Converter converter) throws IOException {
        int elementBytes = t.storage().dtype().bytes();
        long spanBytes = (lastIndex(t) - t.offset() + 1) * elementBytes;
        if (spanBytes > Integer.MAX_VALUE - 8)
            throw new ModelFormatException(path + ": tensor \"" + name + "\" is a non-contiguous view spanning "
                    + spanBytes + " bytes, too many to gather in memory");
        byte[] span = in.readNBytes((int) spanBytes);
        if (span.length != spanBytes) throw new IOException("storage ends early");
        MemorySegment seg = MemorySegment.ofArray(span);
        int[] shape = t.shape();
        int[] index = new int[shape.length];
        int numel = numel(t);
        for (int i = 0; i < numel; i++) {
            long element = 0;
            for (int d = 0; d < shape.length; d++) element += index[d] * t.stride()[d];
            converter.convert(seg, element * elementBytes, i, 1);
            for (int d = shape.length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
    }

    private static int numel(TensorRef t) {
        long n = 1;
        for (int d : t.shape()) n *= d;
        return (int) n;
    }

    private TensorRef ref(String name) {
        TensorRef t = tensors.get(name);
        if (t == null) throw new ModelFormatException(path + ": no tensor named \"" + name + "\"");
        return t;
    }

    @Override
    public void close() {
        try {
            zip.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
