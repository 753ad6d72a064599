package minitron4j.model.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing map from non-negative long keys (a token pair packed as {@code left << 32 | right})
 * to ints: merge ranks when encoding, pair counts when training. No boxing on the hot paths.
 */
final class LongIntMap {
    private static final long FREE = -1;

    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2) - 1) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, FREE);
        values = new int[capacity];
        mask = capacity - 1;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    static int left(long pair) {
        return (int) (pair >>> 32);
    }

    static int right(long pair) {
        return (int) pair;
    }

    /** The value for {@code key}, or {@code absent}. */
    int get(long key, int absent) {
        int slot = slot(key);
        return keys[slot] == FREE ? absent : values[slot];
    }

    void put(long key, int value) {
        int slot = slot(key);
        if (keys[slot] == FREE) {
            keys[slot] = key;
            size++;
            values[slot] = value;
            if (size * 2 > keys.length) {
                grow();
            }
        } else {
            values[slot] = value;
        }
    }

    /** Adds {@code delta} to the value (0 where absent) and returns the new value. */
    int add(long key, int delta) {
        int slot = slot(key);
        if (keys[slot] == FREE) {
            put(key, delta);
            return delta;
        }
        values[slot] += delta;
        return values[slot];
    }

    void forEachKey(java.util.function.LongConsumer action) {
        for (long key : keys) {
            if (key != FREE) {
                action.accept(key);
            }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int slot = (int) (h ^ (h >>> 29)) & mask;
        while (keys[slot] != FREE && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, FREE);
        values = new int[oldKeys.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != FREE) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
