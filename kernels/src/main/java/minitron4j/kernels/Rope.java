package minitron4j.kernels;

/**
 * Partial rotary position embedding with HF's rotate_half pairing: in each head only channels
 * [0, r) rotate, channel j pairing with j + r/2; channels [r, hd) pass through.
 * out[j] = x[j] cos - x[j+r/2] sin, out[j+r/2] = x[j+r/2] cos + x[j] sin.
 */
public final class Rope {
    private final int rotaryDim;
    private final int half;
    private final float[] cos; // [maxPos, r/2]
    private final float[] sin; // [maxPos, r/2]

    /**
     * Tables computed the way HF does in fp32: inv_freq[j] = 1 / theta^(2j/r), angle = pos * inv_freq
     * rounded to float, then cos/sin.
     */
    public Rope(int rotaryDim, double theta, int maxPositions) {
        if (rotaryDim % 2 != 0) throw new IllegalArgumentException("rotary dim must be even, got " + rotaryDim);
        this.rotaryDim = rotaryDim;
        this.half = rotaryDim / 2;
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        for (int j = 0; j < half; j++) {
            float exponent = (float) (2 * j) / rotaryDim;
            float invFreq = (float) (1.0 / Math.pow(theta, exponent));
            for (int p = 0; p < maxPositions; p++) {
                float angle = p * invFreq;
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
    }

    public int maxPositions() {
        return cos.length / half;
    }

    /**
     * Rotates x[N, heads, hd] in place; token n sits at position pos[n]. sign = +1 applies the
     * rotation (forward), -1 its inverse (the backward of a rotation is its transpose).
     */
    public void apply(float[] x, int[] pos, int n, int heads, int hd, int sign) {
        Parallel.forRange(n, 16, (s, e) -> {
            for (int i = s; i < e; i++) {
                int p = pos[i];
                if (p < 0 || p >= maxPositions())
                    throw new IllegalArgumentException("position " + p + " is beyond max_position_embeddings " + maxPositions());
                int t = p * half;
                for (int hh = 0; hh < heads; hh++) {
                    int base = (i * heads + hh) * hd;
                    for (int j = 0; j < half; j++) {
                        float c = cos[t + j], sn = sign * sin[t + j];
                        float a = x[base + j], b = x[base + j + half];
                        x[base + j] = a * c - b * sn;
                        x[base + j + half] = b * c + a * sn;
                    }
                }
            }
        });
    }

    public int rotaryDim() {
        return rotaryDim;
    }
}
