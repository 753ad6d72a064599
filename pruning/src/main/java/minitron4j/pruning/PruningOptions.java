package minitron4j.pruning;

/**
 * How units are chosen for a target shape.
 *
 * @param foldHeads  fold each pruned head into its mirror among the kept heads (experimental; see {@link Trimmer})
 * @param randomSeed choose units at random with this seed instead of by scores (the baseline); null = by scores
 * @param depthScore which layer score {@code --num-layers} and {@code --drop-block} rank by
 */
public record PruningOptions(boolean foldHeads, Long randomSeed, DepthScore depthScore) {
    public PruningOptions {
        if (depthScore == null) throw new IllegalArgumentException("depthScore is required");
    }

    /** Which per-layer score ranks layers for dropping; the lowest go first. */
    public enum DepthScore {
        /** {@code layers}: Block Importance, 1 - cos(layer input, layer output). */
        BLOCK_IMPORTANCE("layers"),
        /** {@code layers_loss}: calibration CE increase when the layer is skipped. */
        LOSS("layers_loss");

        private final String key;

        DepthScore(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static DepthScore parse(String key) {
            for (DepthScore d : values()) if (d.key.equals(key)) return d;
            throw new IllegalArgumentException("depth score \"" + key + "\" is not one of layers, layers_loss");
        }
    }

    /** By scores, no folding, layers ranked by Block Importance. */
    public static PruningOptions defaults() {
        return new PruningOptions(false, null, DepthScore.BLOCK_IMPORTANCE);
    }

    public PruningOptions withFoldHeads(boolean on) {
        return new PruningOptions(on, randomSeed, depthScore);
    }

    public PruningOptions withRandomSeed(Long seed) {
        return new PruningOptions(foldHeads, seed, depthScore);
    }

    public PruningOptions withDepthScore(DepthScore d) {
        return new PruningOptions(foldHeads, randomSeed, d);
    }

    public boolean random() {
        return randomSeed != null;
    }
}
