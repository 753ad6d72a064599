package minitron4j.model;

import minitron4j.kernels.CrossEntropy;

/**
 * Token ids [B, T], right-padded: row b holds lengths[b] real tokens (null = all T). Padded
 * positions take no part in attention, losses or statistics. A task head's batch also carries its
 * targets (null for language modelling and inference).
 */
public record Batch(int[] ids, int batch, int seq, int[] lengths, HeadTargets targets) {
    public Batch(int[] ids, int batch, int seq, int[] lengths) {
        this(ids, batch, seq, lengths, null);
    }

    public Batch {
        if (ids.length != batch * seq)
            throw new IllegalArgumentException("ids hold " + ids.length + " tokens, expected B*T = " + batch + "*" + seq);
        if (lengths != null) {
            if (lengths.length != batch) throw new IllegalArgumentException("lengths must have B = " + batch + " entries");
            for (int len : lengths)
                if (len < 0 || len > seq) throw new IllegalArgumentException("length " + len + " outside [0, " + seq + "]");
        }
        if (targets != null && targets.length() != targets.expectedLength(batch, seq))
            throw new IllegalArgumentException(targets.getClass().getSimpleName() + " holds " + targets.length()
                    + " entries; a batch of [" + batch + "," + seq + "] needs " + targets.expectedLength(batch, seq));
    }

    /** This batch with targets for a task head. */
    public Batch withTargets(HeadTargets t) {
        return new Batch(ids, batch, seq, lengths, t);
    }

    public static Batch of(int[] ids, int batch, int seq) {
        return new Batch(ids, batch, seq, null);
    }

    public int tokens() {
        return batch * seq;
    }

    public int length(int b) {
        return lengths == null ? seq : lengths[b];
    }

    /** Whether position t of row b is a real token. */
    public boolean real(int b, int t) {
        return t < length(b);
    }

    /** HF causal-LM labels: target of (b, t) is ids[b, t+1]; the last real position and padding are ignored. */
    public int[] nextTokenTargets() {
        int[] y = new int[tokens()];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                y[b * seq + t] = t + 1 < length(b) ? ids[b * seq + t + 1] : CrossEntropy.IGNORE;
        return y;
    }

    /** valid[N]: the real positions (for losses over every position, such as distillation). */
    public boolean[] realMask() {
        boolean[] m = new boolean[tokens()];
        for (int b = 0; b < batch; b++) for (int t = 0; t < length(b); t++) m[b * seq + t] = true;
        return m;
    }

    /** Position of every token within its row. */
    public int[] positions(int start) {
        int[] p = new int[tokens()];
        for (int i = 0; i < p.length; i++) p[i] = start + i % seq;
        return p;
    }
}
