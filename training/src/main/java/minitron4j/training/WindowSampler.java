package minitron4j.training;

import minitron4j.model.Batch;
import minitron4j.model.SplitMix;

/**
 * Draws fixed-length windows of tokens at random offsets, reproducibly for a seed. The offset of
 * the k-th window is a hash of (seed, k) (SplitMix64), so the whole state is the pair
 * (seed, windows drawn): saving it in a checkpoint and restoring it resumes the exact sequence.
 */
public final class WindowSampler implements BatchSource {

    /** Everything needed to continue the sequence: the seed and how many windows were drawn. */
    public record State(long seed, long drawn) {
        public State {
            if (drawn < 0) throw new IllegalArgumentException("windows drawn must be >= 0, got " + drawn);
        }
    }

    private final TokenFile source;
    private final int seqLen;
    private final long seed;
    private final long offsets;
    private long drawn;

    public WindowSampler(TokenFile source, int seqLen, long seed) {
        if (seqLen < 2) throw new IllegalArgumentException("seq_len must be >= 2 (one prediction per window), got " + seqLen);
        if (source.length() < seqLen)
            throw new IllegalArgumentException(source.path() + " holds " + source.length()
                    + " tokens, fewer than one window of seq_len " + seqLen);
        this.source = source;
        this.seqLen = seqLen;
        this.seed = seed;
        this.offsets = source.length() - seqLen + 1;
    }

    @Override
    public int seqLen() {
        return seqLen;
    }

    private int[] buffer = new int[0];

    /** The next rows windows as a batch (one array, reused by the next call). */
    @Override
    public Batch next(int rows) {
        if (buffer.length != rows * seqLen) buffer = new int[rows * seqLen];
        next(buffer, rows);
        return Batch.of(buffer, rows, seqLen);
    }

    /** Fills ids[0 .. rows*seqLen) with the next rows windows, one per row. */
    public void next(int[] ids, int rows) {
        if (ids.length < rows * seqLen)
            throw new IllegalArgumentException("ids hold " + ids.length + " tokens, " + rows + " windows need " + rows * seqLen);
        for (int r = 0; r < rows; r++) {
            source.read(offset(drawn), ids, r * seqLen, seqLen);
            drawn++;
        }
    }

    /** Start of window k in the token file. */
    long offset(long k) {
        return Math.unsignedMultiplyHigh(SplitMix.mix(seed + (k + 1) * 0x9E3779B97F4A7C15L), offsets);
    }

    @Override
    public State state() {
        return new State(seed, drawn);
    }

    /** Continues from a saved state; the seed must be this sampler's. */
    @Override
    public void restore(State state) {
        if (state.seed() != seed)
            throw new IllegalArgumentException("sampler state has seed " + state.seed() + ", this sampler uses " + seed);
        drawn = state.drawn();
    }
}
