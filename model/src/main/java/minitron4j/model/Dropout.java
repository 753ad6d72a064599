package minitron4j.model;

/**
 * Inverted dropout as torch's {@code nn.Dropout} in training mode: each entry is kept with
 * probability 1 - p and scaled by 1 / (1 - p). The mask is a pure function of a key and the entry's
 * index ({@link SplitMix}), so the backward pass recomputes it instead of storing it, and a run
 * resumed from a checkpoint draws the same masks as one that never stopped. Public for a device
 * backend, which takes the mask as {@link #scales} and multiplies by it.
 */
public final class Dropout {
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

    /**
     * The mask as the factors {@link #forward} applies: scales[i] = 1 / (1 - p) where entry i is
     * kept, else 0, for i &lt; n: x * scales[i] is forward's out[i] exactly for a finite x (a dropped
     * negative x gives -0).
     */
    public static void scales(float[] scales, int n, double p, long key) {
        float scale = (float) (1 / (1 - p));
        for (int i = 0; i < n; i++) scales[i] = kept(key, i, p) ? scale : 0f;
    }

    /**
     * The token-classification head's dropout key for a training pass over batch: its
     * {@link HeadTargets.TokenTags}' key (HF's train mode) under a positive dropout probability;
     * null when nothing is dropped (another class, evaluation, p = 0).
     */
    public static Long headKey(NemotronConfig config, Batch batch) {
        if (config.architecture() != Architecture.TOKEN_CLASSIFICATION || config.classifierDropout() <= 0) return null;
        return batch.targets() instanceof HeadTargets.TokenTags t ? t.dropoutKey() : null;
    }

    static boolean kept(long key, int index, double p) {
        return (SplitMix.mix(key + (index + 1L) * 0x9E3779B97F4A7C15L) >>> 11) * 0x1.0p-53 >= p;
    }
}
