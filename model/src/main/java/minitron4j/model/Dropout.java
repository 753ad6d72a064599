package minitron4j.model;

/**
 * Inverted dropout as torch's {@code nn.Dropout} in training mode: each entry is kept with
 * probability 1 - p and scaled by 1 / (1 - p). The mask is a pure function of a key and the entry's
 * index ({@link SplitMix}), so the backward pass recomputes it instead of storing it, and a run
 * resumed from a checkpoint draws the same masks as one that never stopped.
 */
final class Dropout {
    private Dropout() {
    }

    /** out[i] = in[i] * keep(i) / (1 - p) for i < n. */
    static void forward(float[] out, float[] in, int n, double p, long key) {
        float scale = (float) (1 / (1 - p));
        for (int i = 0; i < n; i++) out[i] = kept(key, i, p) ? in[i] * scale : 0f;
    }

    /** The same mask and scale applied to a gradient in place: d in = d out * keep / (1 - p). */
    static void backwardInPlace(float[] grad, int n, double p, long key) {
        forward(grad, grad, n, p, key);
    }

    static boolean kept(long key, int index, double p) {
        return (SplitMix.mix(key + (index + 1L) * 0x9E3779B97F4A7C15L) >>> 11) * 0x1.0p-53 >= p;
    }
}
