package minitron4j.training;

/**
 * Draws fixed-length windows of tokens at random offsets, reproducibly for a seed. The offset of
 * the k-th window is a hash of (seed, k) (SplitMix64), so the whole state is the pair
 * (seed, windows drawn): saving it in a checkpoint and restoring it resumes the exact sequence.
 */
public final class WindowSampler {

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

    public int seqLen() {
        return seqLen;
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
        return Math.unsignedMultiplyHigh(mix(seed + (k + 1) * 0x9E3779B97F4A7C15L), offsets);
    }

    public State state() {
        return new State(seed, drawn);
    }

    /** Continues from a saved state; the seed must be this sampler's. */
    public void restore(State state) {
        if (state.seed() != seed)
            throw new IllegalArgumentException("sampler state has seed " + state.seed() + ", this sampler uses " + seed);
        drawn = state.drawn();
    }

    /** SplitMix64's finaliser: a bijection of 64-bit values that scrambles nearby inputs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
