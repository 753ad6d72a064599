package minitron4j.model;

/**
 * SplitMix64's finaliser: a bijection of 64-bit values that scrambles nearby inputs, the one hash
 * behind every keyed random draw here (dropout masks, sampled windows and examples), so that a
 * draw is a function of its key and index and a resumed run repeats it.
 */
public final class SplitMix {
    private SplitMix() {
    }

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
