package minitron4j.tornado;

import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Where each kernel argument starts inside its buffer. Per-layer tensors live stacked in one
 * buffer per kind ([L, ...]); one layer graph is built (and compiled) once and replayed for every
 * layer, and before each run the host writes that layer's start of every stacked buffer into this
 * small device array, which the kernels read. Kernels name a slot, never a number.
 */
public final class Offsets {
    /** The slot of an offset that is always 0 (buffers that are not stacked). */
    public static final int ZERO = 0;

    private final IntArray device;
    private int used = 1;

    public Offsets(int capacity) {
        device = new IntArray(capacity);
        device.init(0);
    }

    /** Reserves a slot; its value is set per run with {@link #set}. */
    public int slot() {
        if (used == device.getSize()) throw new IllegalStateException("offset table full (" + used + " slots)");
        return used++;
    }

    public void set(int slot, int value) {
        device.set(slot, value);
    }

    /** The array the kernels read (transferred to the device before every run of its graph). */
    public IntArray array() {
        return device;
    }
}
