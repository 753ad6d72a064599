package minitron4j.model.tokenizer;

/**
 * Ids of words already merged, looked up by a char range of the text so that a hit copies nothing. A
 * fixed table in which a new word may evict an old one (a cache, so never a source of truth); entries
 * are immutable, so threads may share it without locks.
 */
final class WordCache {
    private record Entry(String word, int hash, int[] ids) {
    }

    private final Entry[] slots;
    private final int mask;

    WordCache(int slotsPowerOfTwo) {
        slots = new Entry[slotsPowerOfTwo];
        mask = slotsPowerOfTwo - 1;
    }

    static int hash(String text, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + text.charAt(i);
        }
        return h ^ (h >>> 16);
    }

    /** The ids of {@code text[from, to)}, or null. */
    int[] get(String text, int from, int to, int hash) {
        for (int probe = 0; probe < 2; probe++) {
            Entry e = slots[(hash + probe) & mask];
            if (e != null && e.hash == hash && e.word.length() == to - from
                    && text.regionMatches(from, e.word, 0, to - from)) {
                return e.ids;
            }
        }
        return null;
    }

    void put(String word, int hash, int[] ids) {
        int slot = hash & mask;
        if (slots[slot] != null && slots[(slot + 1) & mask] == null) {
            slot = (slot + 1) & mask;
        }
        slots[slot] = new Entry(word, hash, ids);
    }
}
