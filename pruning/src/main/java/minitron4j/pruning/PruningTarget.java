package minitron4j.pruning;

import java.util.Arrays;

/**
 * The shape to prune to; every field is optional (null keeps that axis whole). Depth is given in at
 * most one of three ways: {@code numLayers} (drop the lowest-scored layers), {@code dropLayers}
 * (exactly these 0-based layers) or {@code dropBlock} (keep this many layers by dropping the
 * contiguous block of the others with the smallest summed score).
 */
public record PruningTarget(Integer hiddenSize, Integer numAttentionHeads, Integer intermediateSize,
                            Integer numLayers, int[] dropLayers, Integer dropBlock) {
    public PruningTarget {
        int depthForms = (numLayers != null ? 1 : 0) + (dropLayers != null ? 1 : 0) + (dropBlock != null ? 1 : 0);
        if (depthForms > 1)
            throw new IllegalArgumentException("give at most one of --num-layers, --drop-layers, --drop-block; got "
                    + (numLayers != null ? "--num-layers " + numLayers + " " : "")
                    + (dropLayers != null ? "--drop-layers " + Arrays.toString(dropLayers) + " " : "")
                    + (dropBlock != null ? "--drop-block " + dropBlock : ""));
        dropLayers = dropLayers == null ? null : dropLayers.clone();
    }

    /** Keeps every axis whole. */
    /** Width pruning alone (Minitron's best axis): the embedding channels, heads and MLP neurons to keep; null keeps an axis whole. */
    public static PruningTarget width(Integer hiddenSize, Integer numAttentionHeads, Integer intermediateSize) {
        return new PruningTarget(hiddenSize, numAttentionHeads, intermediateSize, null, null, null);
    }

    public static PruningTarget keepAll() {
        return new PruningTarget(null, null, null, null, null, null);
    }

    public PruningTarget withHiddenSize(int h) {
        return new PruningTarget(h, numAttentionHeads, intermediateSize, numLayers, dropLayers, dropBlock);
    }

    public PruningTarget withNumAttentionHeads(int n) {
        return new PruningTarget(hiddenSize, n, intermediateSize, numLayers, dropLayers, dropBlock);
    }

    public PruningTarget withIntermediateSize(int f) {
        return new PruningTarget(hiddenSize, numAttentionHeads, f, numLayers, dropLayers, dropBlock);
    }

    public PruningTarget withNumLayers(int l) {
        return new PruningTarget(hiddenSize, numAttentionHeads, intermediateSize, l, null, null);
    }

    public PruningTarget withDropLayers(int... layers) {
        return new PruningTarget(hiddenSize, numAttentionHeads, intermediateSize, null, layers, null);
    }

    public PruningTarget withDropBlock(int keptLayers) {
        return new PruningTarget(hiddenSize, numAttentionHeads, intermediateSize, null, null, keptLayers);
    }
}
