package minitron4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a command will hold, estimated before it allocates, against what it may hold: the heap limit
 * (-Xmx) for arrays, and the machine's memory for everything (mapped weights included, since pages of
 * a mapped model that do not fit are read from disk again on every token). {@link #check} stops the
 * command with one line naming the estimate, the limit and the remedy, instead of an
 * OutOfMemoryError after minutes of loading.
 */
public final class MemoryCheck {
    private record Item(String what, long bytes, boolean heap) {}

    private final String command;
    private final List<Item> items = new ArrayList<>();
    private final List<String> remedies = new ArrayList<>();

    private MemoryCheck(String command) {
        this.command = command;
    }

    public static MemoryCheck of(String command) {
        return new MemoryCheck(command);
    }

    /** An array allocation on the heap. */
    public MemoryCheck heap(String what, long bytes) {
        items.add(new Item(what, bytes, true));
        return this;
    }

    /** Memory outside the heap that must stay resident (mapped weights). */
    public MemoryCheck mapped(String what, long bytes) {
        items.add(new Item(what, bytes, false));
        return this;
    }

    /** A way to need less, named in the message (e.g. "a smaller --batch"). */
    public MemoryCheck remedy(String remedy) {
        remedies.add(remedy);
        return this;
    }

    /** Activation buffers of one forward pass at [batch, seq] (see {@link Activations}). */
    public MemoryCheck activations(NemotronConfig c, int batch, int seq, boolean training, int logitRows) {
        return heap("activations", Activations.bytes(c, batch, seq, training, logitRows));
    }

    /**
     * Training a model of config c on micro-batches of [batch, seq]: fp32 weights, gradients and
     * AdamW's two moments (16 bytes a parameter) and every layer's activations with the logits.
     */
    public MemoryCheck training(NemotronConfig c, int batch, int seq) {
        return heap("fp32 weights, gradients and AdamW moments", 16 * c.parameterCount())
                .activations(c, batch, seq, true, batch * seq)
                .remedy("a smaller batch (or grad_accum with a smaller micro-batch) or seq_len");
    }

    /** A KV cache of maxSeq positions for one sequence. */
    public MemoryCheck kvCache(NemotronConfig c, int maxSeq) {
        return heap("KV cache", 2L * c.numHiddenLayers() * maxSeq * c.kvDim() * Float.BYTES);
    }

    /** The model's weights as the loaded pool keeps them: fp32 arrays on the heap, stored matrices mapped. */
    public MemoryCheck weights(Parameters p) {
        long heap = 0, mapped = 0;
        for (String name : p.names()) {
            int[] shape = p.shape(name);
            long n = Tensor.numel(shape);
            if (p.isStored(name)) mapped += 2 * n;
            else heap += 4 * n;
        }
        if (heap > 0) heap("fp32 weights", heap);
        if (mapped > 0) mapped("mapped 16-bit weights", mapped);
        return this;
    }

    public long heapBytes() {
        return items.stream().filter(Item::heap).mapToLong(Item::bytes).sum();
    }

    public long totalBytes() {
        return items.stream().mapToLong(Item::bytes).sum();
    }

    /** Throws {@link NotEnoughMemoryException} when the estimate exceeds the heap or the machine. */
    public void check() {
        check(Runtime.getRuntime().maxMemory(), SystemMemory.physical());
    }

    /** Whether the estimate fits the heap and the machine (what {@link #check} would let through). */
    public boolean fits() {
        try {
            check();
            return true;
        } catch (NotEnoughMemoryException e) {
            return false;
        }
    }

    void check(long heapLimit, long machine) {
        long heap = heapBytes(), total = totalBytes();
        // 10% of the heap for what the estimate leaves out (tokenizer, JIT, GC headroom).
        if (heap > heapLimit * 0.9) {
            long suggest = Math.min(machine, (long) (heap / 0.9) + (1L << 30));
            String remedy = suggest > heap && suggest <= machine * 0.95
                    ? "MINITRON4J_JAVA_OPTS=-Xmx" + Math.ceilDiv(suggest, 1L << 30) + "g" : null;
            throw new NotEnoughMemoryException(command + " needs about " + gib(heap) + " GiB of heap (" + breakdown(true)
                    + ") but the heap limit is " + gib(heapLimit) + " GiB: " + remedies(remedy));
        }
        if (total > machine * 0.95)
            throw new NotEnoughMemoryException(command + " needs about " + gib(total) + " GiB (" + breakdown(false)
                    + ") but this machine has " + gib(machine) + " GiB: " + remedies(null));
    }

    private String breakdown(boolean heapOnly) {
        List<String> parts = new ArrayList<>();
        for (Item i : items) if (i.bytes() > 0 && (i.heap() || !heapOnly)) parts.add(i.what() + " " + gib(i.bytes()) + " GiB");
        return String.join(", ", parts);
    }

    private String remedies(String first) {
        List<String> all = new ArrayList<>();
        if (first != null) all.add(first);
        all.addAll(remedies);
        if (all.isEmpty()) all.add("a smaller model or a machine with more memory");
        return String.join(", or ", all);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) (1L << 30));
    }

    /** The command cannot run within the memory it may use: the user's to fix (exit 2), not a crash. */
    public static final class NotEnoughMemoryException extends RuntimeException {
        public NotEnoughMemoryException(String message) {
            super(message);
        }
    }
}
