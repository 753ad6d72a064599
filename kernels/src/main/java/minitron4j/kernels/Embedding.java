package minitron4j.kernels;

/** Token embedding lookup (no scaling, as Nemotron does). */
public final class Embedding {
    private Embedding() {}

    /** out[N,H] = table[ids[n], :]. ids are checked against the vocabulary. */
    public static void forward(float[] out, int[] ids, float[] table, int n, int h) {
        int vocab = table.length / h;
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab)
                throw new IllegalArgumentException("token id " + id + " at position " + i + " is outside the vocabulary [0, " + vocab + ")");
        }
        Parallel.forRange(n, 16, (s, e) -> {
            for (int i = s; i < e; i++) System.arraycopy(table, ids[i] * h, out, i * h, h);
        });
    }

    /**
     * out[N,H] = table[ids[n], :] with H = table.cols(), the table fp32 or 16-bit (then each row is
     * converted as it is copied, and only the rows looked up are read). ids are checked against
     * table.rows().
     */
    public static void forward(float[] out, int[] ids, WeightMatrix table, int n) {
        int vocab = table.rows(), h = table.cols();
        if (n < 0 || n > ids.length) throw new IllegalArgumentException("embedding: n=" + n + " but ids has " + ids.length);
        if (out.length < (long) n * h) {
            throw new IllegalArgumentException("embedding: out [" + n + "," + h + "] needs " + (long) n * h
                    + " floats, array has " + out.length);
        }
        if (table instanceof WeightMatrix.Half half) half.checkShared("embedding");
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab)
                throw new IllegalArgumentException("token id " + id + " at position " + i + " is outside the vocabulary [0, " + vocab + ")");
        }
        Parallel.forRange(n, 16, (s, e) -> {
            for (int i = s; i < e; i++) table.decodeRow(ids[i], 0, h, out, i * h);
        });
    }

    /**
     * dTable[ids[n], :] += dout[n, :], except for tokens paddingIdx (torch's nn.Embedding
     * padding_idx, which HF sets to pad_token_id: that row never gets a gradient; -1 for none).
     * Parallel over channel slices, so every row's sum is taken in token order whatever the thread
     * count (deterministic, no races on repeated ids).
     */
    public static void backward(float[] dTable, float[] dout, int[] ids, int n, int h, int paddingIdx) {
        int slice = 64;
        Parallel.forEach((h + slice - 1) / slice, c -> {
            int c0 = c * slice, c1 = Math.min(h, c0 + slice);
            for (int i = 0; i < n; i++) {
                if (ids[i] == paddingIdx) continue;
                int row = ids[i] * h, src = i * h;
                for (int j = c0; j < c1; j++) dTable[row + j] += dout[src + j];
            }
        });
    }
}
