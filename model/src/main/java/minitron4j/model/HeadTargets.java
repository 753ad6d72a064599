package minitron4j.model;

import minitron4j.kernels.CrossEntropy;

/**
 * What a task head is trained against, carried by a {@link Batch} beside its ids (HF's
 * {@code labels}, or {@code start_positions} and {@code end_positions}). Class ids of
 * {@link CrossEntropy#IGNORE} (-100) take no part in a loss, as in HF.
 */
public sealed interface HeadTargets {
    /** Sequence classification with integer labels [B] (single-label classification). */
    record SequenceClasses(int[] labels) implements HeadTargets {
    }

    /**
     * Sequence classification with float labels [B, width]: regression values (width = num_labels)
     * or multi-hot rows (multi-label classification).
     */
    record SequenceValues(float[] values, int width) implements HeadTargets {
        public SequenceValues {
            if (width <= 0 || values.length % width != 0)
                throw new IllegalArgumentException(values.length + " label values do not make rows of " + width);
        }
    }

    /**
     * Token classification: a tag id per position [B*T]. dropoutKey seeds the head's dropout mask
     * for this micro-batch (a training step: the mask is a function of the key, so a resumed run draws
     * the same masks); null for evaluation, where dropout is inactive as in HF's eval mode.
     */
    record TokenTags(int[] tags, Long dropoutKey) implements HeadTargets {
    }

    /** Question answering: the answer's first and last token positions [B] (HF clamps them to [0, T] and ignores T). */
    record Spans(int[] start, int[] end) implements HeadTargets {
        public Spans {
            if (start.length != end.length) throw new IllegalArgumentException(start.length + " starts but " + end.length + " ends");
        }
    }

    /** Whether this holds one entry per row of a batch of {@code rows} rows and {@code seq} positions. */
    default int expectedLength(int rows, int seq) {
        return switch (this) {
            case SequenceClasses s -> rows;
            case SequenceValues v -> rows * v.width();
            case TokenTags t -> rows * seq;
            case Spans s -> rows;
        };
    }

    /** The number of entries held, to compare with {@link #expectedLength}. */
    default int length() {
        return switch (this) {
            case SequenceClasses s -> s.labels().length;
            case SequenceValues v -> v.values().length;
            case TokenTags t -> t.tags().length;
            case Spans s -> s.start().length;
        };
    }
}
