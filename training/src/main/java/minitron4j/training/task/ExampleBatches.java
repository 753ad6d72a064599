package minitron4j.training.task;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.HeadTargets;

import java.util.Arrays;
import java.util.List;

/**
 * Labeled examples as right-padded batches of [rows, seqLen] with their head targets: ids padded
 * with pad_token_id (where sequence classification pools: after the last real token), tags padded
 * with -100, padded positions masked from attention by the row's length.
 */
public final class ExampleBatches {
    private ExampleBatches() {
    }

    /**
     * The batch of the given examples; dropoutKey seeds token classification's dropout (training),
     * null for evaluation.
     */
    public static Batch of(List<LabeledExample> examples, Architecture task, int width, int seqLen, int padId, Long dropoutKey) {
        Batch inputs = inputs(examples.stream().map(LabeledExample::ids).toList(), seqLen, padId);
        return inputs.withTargets(targets(examples, task, width, seqLen, dropoutKey));
    }

    /** Token ids alone as a padded batch (inference). */
    public static Batch inputs(List<int[]> rows, int seqLen, int padId) {
        int[] ids = new int[rows.size() * seqLen], lengths = new int[rows.size()];
        Arrays.fill(ids, padId);
        for (int r = 0; r < rows.size(); r++) {
            int[] x = rows.get(r);
            if (x.length > seqLen) throw new IllegalArgumentException("row " + r + " holds " + x.length + " tokens, more than seq_len " + seqLen);
            System.arraycopy(x, 0, ids, r * seqLen, x.length);
            lengths[r] = x.length;
        }
        return new Batch(ids, rows.size(), seqLen, lengths);
    }

    private static HeadTargets targets(List<LabeledExample> examples, Architecture task, int width, int seqLen, Long dropoutKey) {
        int rows = examples.size();
        return switch (task) {
            case SEQUENCE_CLASSIFICATION -> {
                if (examples.getFirst().values() == null)
                    yield new HeadTargets.SequenceClasses(examples.stream().mapToInt(LabeledExample::classId).toArray());
                float[] v = new float[rows * width];
                for (int r = 0; r < rows; r++) System.arraycopy(examples.get(r).values(), 0, v, r * width, width);
                yield new HeadTargets.SequenceValues(v, width);
            }
            case TOKEN_CLASSIFICATION -> {
                int[] tags = new int[rows * seqLen];
                Arrays.fill(tags, CrossEntropy.IGNORE);
                for (int r = 0; r < rows; r++) System.arraycopy(examples.get(r).tags(), 0, tags, r * seqLen, examples.get(r).tags().length);
                yield new HeadTargets.TokenTags(tags, dropoutKey);
            }
            case QUESTION_ANSWERING -> new HeadTargets.Spans(examples.stream().mapToInt(LabeledExample::start).toArray(),
                    examples.stream().mapToInt(LabeledExample::end).toArray());
            case CAUSAL_LM, BASE -> throw new IllegalArgumentException(task.hfName() + " has no labeled examples");
        };
    }
}
