package minitron4j.model;

/** Keys and values of every layer for generation: [L][B, maxT, nkv*hd], after RoPE. */
public final class KvCache {
    private final float[][] keys, values;
    private final int batch, maxSeq, kvDim;
    private int length;

    public KvCache(NemotronConfig c, int batch, int maxSeq) {
        if (maxSeq > c.maxPositionEmbeddings())
            throw new IllegalArgumentException("cache of " + maxSeq + " positions exceeds max_position_embeddings "
                    + c.maxPositionEmbeddings());
        this.batch = batch;
        this.maxSeq = maxSeq;
        this.kvDim = c.kvDim();
        keys = new float[c.numHiddenLayers()][Math.multiplyExact(batch * maxSeq, kvDim)];
        values = new float[c.numHiddenLayers()][Math.multiplyExact(batch * maxSeq, kvDim)];
    }

    /** Copies k, v [B, T, kvDim] of layer l into positions start..start+T-1. */
    void write(int layer, float[] k, float[] v, int b, int t, int start) {
        if (b != batch) throw new IllegalArgumentException("cache holds batch " + batch + ", got " + b);
        if (start + t > maxSeq) throw new IllegalArgumentException("cache full: " + (start + t) + " > " + maxSeq);
        for (int r = 0; r < b; r++) {
            System.arraycopy(k, r * t * kvDim, keys[layer], (r * maxSeq + start) * kvDim, t * kvDim);
            System.arraycopy(v, r * t * kvDim, values[layer], (r * maxSeq + start) * kvDim, t * kvDim);
        }
        length = Math.max(length, start + t);
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    int batchStride() {
        return maxSeq * kvDim;
    }

    /** Per-row key counts once a batch at start is written (null when no row is padded). */
    int[] lengthsAfter(Batch batch, int start) {
        if (batch.lengths() == null) return null;
        int[] l = new int[batch.batch()];
        for (int b = 0; b < l.length; b++) l[b] = start + batch.length(b);
        return l;
    }

    public int length() {
        return length;
    }

    public int capacity() {
        return maxSeq;
    }
}
