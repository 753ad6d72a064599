package minitron4j.model.io;

import minitron4j.model.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle reader for the {@code data.pkl} of a torch.save zip that can describe a state dict and
 * nothing else. It never runs code: there is no import and no call; each global is checked against a
 * fixed list when it is named, and the only "calls" (REDUCE) it understands are building an empty
 * OrderedDict and recording the arguments of torch's tensor-rebuild functions. Anything else, such as
 * {@code posix system} or {@code builtins eval}, stops the read with an error naming it. This mirrors
 * what torch's own {@code weights_only} loading allows for a state dict.
 *
 * <p>Values: None is null; ints are Long; floats Double; str String; bytes byte[]; tuples {@link Tuple};
 * lists ArrayList; dicts and OrderedDicts LinkedHashMap; tensors {@link TensorRef}.
 */
final class StateDictUnpickler {
    /** A Python tuple (immutable, so usable as a dict key); items may be null (None). */
    record Tuple(List<Object> items) {
        Object get(int i) {
            return items.get(i);
        }

        int size() {
            return items.size();
        }
    }

    /** An allowed global, by its pickle name (module and qualified name). */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A storage named by a persistent id: its element type, zip key and element count. */
    record StorageRef(Dtype dtype, String storageType, String key, long numel) {
    }

    /** A tensor as {@code _rebuild_tensor_v2} describes it: a strided view of a storage. */
    record TensorRef(StorageRef storage, long offset, int[] shape, long[] stride) {
    }

    private static final Map<String, Dtype> STORAGE_TYPES = Map.of(
            "FloatStorage", Dtype.F32, "BFloat16Storage", Dtype.BF16, "HalfStorage", Dtype.F16,
            "DoubleStorage", Dtype.F64, "IntStorage", Dtype.I32, "LongStorage", Dtype.I64);
    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR_V2 = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");

    /**
     * Bounds what a hostile pickle can make us allocate (a value costs tens of bytes); torch.save writes
     * about 25 values per tensor, so this admits state dicts of some 40,000 tensors.
     */
    static final int MAX_VALUES = 1 << 20;

    /** Marks where MARK was pushed; never a pickle value. */
    private static final Object MARK = new Object();

    private final String source;
    private final byte[] in;
    private int pos;
    private int opStart;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final HashMap<Long, Object> memo = new HashMap<>();
    private int pushed;

    private StateDictUnpickler(String source, byte[] in) {
        this.source = source;
        this.in = in;
    }

    /** Reads the pickle; {@code source} names it in errors (e.g. "model.bin!archive/data.pkl"). */
    static Object load(String source, byte[] pickle) {
        return new StateDictUnpickler(source, pickle).run();
    }

    private ModelFormatException error(String what) {
        return new ModelFormatException(source + " (pickle byte " + opStart + "): " + what);
    }

    private Object run() {
        while (true) {
            opStart = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) throw error("pickle protocol " + proto + " is newer than 5");
                }
                case 0x95 -> skip(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> { // MARK
                    marks.push(stack.size());
                    push(MARK);
                }
                case '}' -> push(new LinkedHashMap<>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(Collections.unmodifiableList(popToMark())));
                case 0x85 -> push(tupleOf(1));
                case 0x86 -> push(tupleOf(2));
                case 0x87 -> push(tupleOf(3));
                case 'l' -> push(new ArrayList<>(popToMark()));
                case 'd' -> {
                    List<Object> kv = popToMark();
                    LinkedHashMap<Object, Object> d = new LinkedHashMap<>();
                    putPairs(d, kv);
                    push(d);
                }
                case '0' -> pop(); // POP
                case '1' -> popToMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(u32(), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(u32())); // LONG_BINGET
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (u8() | u8() << 8)); // BININT2
                case 'J' -> push((long) (int) u32()); // BININT
                case 0x8a -> push(littleEndianInt(u8())); // LONG1
                case 0x8b -> push(littleEndianInt(length(u32()))); // LONG4
                case 'G' -> push(Double.longBitsToDouble(bigEndianLong())); // BINFLOAT
                case 'X' -> push(utf8(length(u32()))); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(length(littleEndianLong()))); // BINUNICODE8
                case 'T' -> push(latin1(length(u32()))); // BINSTRING
                case 'U' -> push(latin1(u8())); // SHORT_BINSTRING
                case 'B' -> push(bytes(length(u32()))); // BINBYTES
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'N' -> push(null);
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw error("STACK_GLOBAL needs two strings, found " + describe(module) + " and " + describe(name));
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(), callable = pop();
                    push(reduce(callable, args));
                }
                case 'b' -> build();
                case 's' -> { // SETITEM
                    Object value = pop(), key = pop();
                    putPairs(dictOnTop("SETITEM"), List.of(keyOf(key), value));
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popToMark();
                    putPairs(dictOnTop("SETITEMS"), kv);
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    listOnTop("APPEND").add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> values = popToMark();
                    listOnTop("APPENDS").addAll(values);
                }
                case 'Q' -> push(persistentLoad(pop())); // BINPERSID
                default -> throw error("opcode 0x" + Integer.toHexString(op)
                        + (op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : "")
                        + " is not one a state dict needs; refusing to read further");
            }
        }
    }

    private Object global(String module, String name) {
        Global g = new Global(module, name);
        if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR_V2) || g.equals(REBUILD_TENSOR) || g.equals(REBUILD_PARAMETER))
            return g;
        if (module.equals("torch") && name.endsWith("Storage")) {
            if (STORAGE_TYPES.containsKey(name)) return g;
            throw error("storage type torch." + name + " is not supported (supported: " + STORAGE_TYPES.keySet() + ")");
        }
        throw error("refusing global '" + module + " " + name + "': a state dict never needs it, so the file may try"
                + " to run code; nothing was executed");
    }

    private Object reduce(Object callable, Object argsObject) {
        if (!(callable instanceof Global g)) throw error("REDUCE calls " + describe(callable) + ", which is not callable");
        if (!(argsObject instanceof Tuple args)) throw error("REDUCE arguments for " + g + " are " + describe(argsObject)
                + ", not a tuple");
        if (g.equals(ORDERED_DICT)) {
            if (args.size() != 0) throw error("collections.OrderedDict called with arguments " + args.items()
                    + "; only an empty one is expected");
            return new LinkedHashMap<>();
        }
        if (g.equals(REBUILD_TENSOR_V2) || g.equals(REBUILD_TENSOR)) {
            int min = g.equals(REBUILD_TENSOR_V2) ? 6 : 4;
            if (args.size() < min || args.size() > min + 1)
                throw error(g + " called with " + args.size() + " arguments, expected " + min
                        + (min == 6 ? " or 7" : " or 5"));
            return tensor(g, args);
        }
        if (g.equals(REBUILD_PARAMETER)) {
            if (args.size() != 3 || !(args.get(0) instanceof TensorRef t))
                throw error(g + " expects (tensor, requires_grad, hooks), found " + args.items());
            return t;
        }
        throw error(g + " is a storage type, which a state dict never calls");
    }

    private TensorRef tensor(Global g, Tuple args) {
        if (!(args.get(0) instanceof StorageRef storage))
            throw error(g + ": first argument is " + describe(args.get(0)) + ", not a storage");
        if (!(args.get(1) instanceof Long offset) || offset < 0)
            throw error(g + ": storage offset " + describe(args.get(1)) + " must be a non-negative int");
        long[] size = longs(g, "size", args.get(2));
        long[] stride = longs(g, "stride", args.get(3));
        if (size.length != stride.length)
            throw error(g + ": size " + Arrays.toString(size) + " and stride " + Arrays.toString(stride)
                    + " differ in length");
        int[] shape = new int[size.length];
        for (int i = 0; i < size.length; i++) {
            if (size[i] > Integer.MAX_VALUE) throw error(g + ": dimension " + size[i] + " is too large");
            shape[i] = (int) size[i];
        }
        return new TensorRef(storage, offset, shape, stride);
    }

    private long[] longs(Global g, String what, Object o) {
        if (!(o instanceof Tuple t)) throw error(g + ": " + what + " is " + describe(o) + ", not a tuple");
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0)
                throw error(g + ": " + what + " " + t.items() + " must hold non-negative ints");
            out[i] = v;
        }
        return out;
    }

    /** torch's persistent id for a storage: ('storage', storage_type, key, location, numel). */
    private StorageRef persistentLoad(Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0)))
            throw error("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        if (!(t.get(1) instanceof Global type) || !type.module().equals("torch") || !STORAGE_TYPES.containsKey(type.name()))
            throw error("persistent id names storage type " + describe(t.get(1)) + ", not a torch storage type");
        if (!(t.get(2) instanceof String key)) throw error("persistent id key " + describe(t.get(2)) + " is not a string");
        if (!(t.get(4) instanceof Long numel) || numel < 0)
            throw error("persistent id element count " + describe(t.get(4)) + " is not a non-negative int");
        return new StorageRef(STORAGE_TYPES.get(type.name()), type.toString(), key, numel);
    }

    /** BUILD sets attributes; a state dict's only ones are its {@code _metadata} (version info, not needed). */
    private void build() {
        Object state = pop();
        Object target = peek();
        if (!(target instanceof Map) || !(state instanceof Map || state instanceof Tuple))
            throw error("BUILD of " + describe(target) + " with " + describe(state) + " is not part of a state dict");
    }

    private Tuple tupleOf(int n) {
        if (stack.size() - markFloor() < n) throw error("stack underflow");
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return new Tuple(Collections.unmodifiableList(items));
    }

    private void push(Object value) {
        if (++pushed > MAX_VALUES)
            throw error("more than " + MAX_VALUES + " values, far beyond what a state dict needs");
        stack.add(value);
    }

    private int markFloor() {
        return marks.isEmpty() ? 0 : marks.peek() + 1;
    }

    private List<Object> popToMark() {
        if (marks.isEmpty()) throw error("no MARK to pop to");
        int m = marks.pop();
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object pop() {
        if (stack.size() <= markFloor()) throw error("stack underflow");
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.size() <= markFloor()) throw error("stack underflow");
        return stack.getLast();
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(String op) {
        Object top = peek();
        if (!(top instanceof Map)) throw error(op + " on " + describe(top) + ", not a dict");
        return (Map<Object, Object>) top;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop(String op) {
        Object top = peek();
        if (!(top instanceof ArrayList)) throw error(op + " on " + describe(top) + ", not a list");
        return (List<Object>) top;
    }

    private void putPairs(Map<Object, Object> d, List<Object> kv) {
        if (kv.size() % 2 != 0) throw error("odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) d.put(keyOf(kv.get(i)), kv.get(i + 1));
    }

    private Object keyOf(Object key) {
        if (key instanceof Map || key instanceof ArrayList) throw error("unhashable dict key " + describe(key));
        return key;
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) throw error("memo entry " + index + " was never stored");
        return memo.get(index);
    }

    private static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> "'" + s + "'";
            case Global g -> "global " + g;
            case Tuple t -> "tuple " + t.items();
            case TensorRef _ -> "a tensor";
            case StorageRef _ -> "a storage";
            case Map<?, ?> _ -> "a dict";
            case List<?> _ -> "a list";
            default -> o.getClass().getSimpleName().toLowerCase() + " " + o;
        };
    }

    // ---- byte decoding; every length is checked against what is left before anything is allocated ----

    private int u8() {
        need(1);
        return in[pos++] & 0xff;
    }

    private long u32() {
        need(4);
        long v = (in[pos] & 0xffL) | (in[pos + 1] & 0xffL) << 8 | (in[pos + 2] & 0xffL) << 16 | (in[pos + 3] & 0xffL) << 24;
        pos += 4;
        return v;
    }

    private long littleEndianLong() {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | (in[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    private long bigEndianLong() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (in[pos + i] & 0xff);
        pos += 8;
        return v;
    }

    /** Python's LONG1/LONG4: little-endian two's complement of n bytes; beyond 64 bits a state dict has no use. */
    private long littleEndianInt(int n) {
        if (n > 8) throw error("integer of " + n + " bytes is too large");
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = v << 8 | (in[pos + i] & 0xff);
        if (n > 0 && n < 8 && (in[pos + n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        pos += n;
        return v;
    }

    private int length(long n) {
        if (n < 0 || n > in.length - pos)
            throw error("length " + Long.toUnsignedString(n) + " reaches beyond the end of the pickle");
        return (int) n;
    }

    private void need(int n) {
        if (n > in.length - pos) throw error("pickle ends in the middle of an opcode (truncated file?)");
    }

    private void skip(int n) {
        need(n);
        pos += n;
    }

    private String utf8(int n) {
        need(n);
        String s = new String(in, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    private String latin1(int n) {
        need(n);
        String s = new String(in, pos, n, StandardCharsets.ISO_8859_1);
        pos += n;
        return s;
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] b = Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    /** A GLOBAL operand: text up to a newline. */
    private String line() {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') pos++;
        if (pos == in.length) throw error("pickle ends inside a GLOBAL name (truncated file?)");
        String s = new String(in, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }
}
