package minitron4j.model.io;

import minitron4j.model.Batch;
import minitron4j.model.HeadTargets;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a batch of token ids from a safetensors file: {@code input_ids} (I32 or I64, [B,T]) and,
 * optionally, {@code attention_mask} ([B,T], ones then zeros: right padding), and a task head's
 * targets under HF's names ({@link #readTargets}).
 */
public final class BatchFiles {
    private BatchFiles() {}

    public static Batch read(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.contains("input_ids")) throw new ModelFormatException(file + ": no tensor input_ids");
            IntTensor ids = f.readInts("input_ids");
            if (ids.shape().length != 2)
                throw new ModelFormatException(file + ": input_ids must be [B,T], got " + java.util.Arrays.toString(ids.shape()));
            int b = ids.shape()[0], t = ids.shape()[1];
            int[] lengths = null;
            if (f.contains("attention_mask")) {
                IntTensor mask = f.readInts("attention_mask");
                if (!java.util.Arrays.equals(mask.shape(), ids.shape()))
                    throw new ModelFormatException(file + ": attention_mask shape " + java.util.Arrays.toString(mask.shape())
                            + " differs from input_ids " + java.util.Arrays.toString(ids.shape()));
                lengths = new int[b];
                for (int r = 0; r < b; r++) {
                    int len = 0;
                    while (len < t && mask.data()[r * t + len] != 0) len++;
                    for (int c = len; c < t; c++)
                        if (mask.data()[r * t + c] != 0)
                            throw new ModelFormatException(file + ": attention_mask row " + r
                                    + " is not right-padded (ones, then zeros)");
                    lengths[r] = len;
                }
            }
            return new Batch(ids.data(), b, t, lengths);
        }
    }

    /**
     * The batch with the targets the file holds for config's class, as HF's forward takes them:
     * {@code labels} (sequence classification: [B] integer class ids, or floats [B] / [B, num_labels]
     * for regression and multi-label; token classification: [B,T] integer tags), or
     * {@code start_positions} and {@code end_positions} ([B] integers) for QA. Without them, or for
     * the causal LM and the base model, the batch is returned as it is.
     */
    public static Batch withTargets(Path file, NemotronConfig config, Batch batch) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            int b = batch.batch(), t = batch.seq();
            HeadTargets targets = switch (config.architecture()) {
                case SEQUENCE_CLASSIFICATION -> {
                    if (!f.contains("labels")) yield null;
                    if (f.info("labels").dtype().isFloat()) {
                        int[] shape = f.info("labels").shape();
                        int width = config.headOutputs();
                        if (!(shape.length == 1 && shape[0] == b && width == 1) && !(shape.length == 2 && shape[0] == b && shape[1] == width))
                            throw new ModelFormatException(file + ": float labels must be [" + b + ", " + width + "] (num_labels "
                                    + width + "), got " + Arrays.toString(shape));
                        yield new HeadTargets.SequenceValues(f.readFloats("labels").data(), width);
                    }
                    yield new HeadTargets.SequenceClasses(ints(f, file, "labels", b));
                }
                case TOKEN_CLASSIFICATION -> f.contains("labels")
                        ? new HeadTargets.TokenTags(ints(f, file, "labels", b, t), null) : null;
                case QUESTION_ANSWERING -> {
                    if (f.contains("start_positions") != f.contains("end_positions"))
                        throw new ModelFormatException(file + ": start_positions and end_positions come together");
                    yield f.contains("start_positions")
                            ? new HeadTargets.Spans(ints(f, file, "start_positions", b), ints(f, file, "end_positions", b)) : null;
                }
                case CAUSAL_LM, BASE -> null;
            };
            return targets == null ? batch : batch.withTargets(targets);
        }
    }

    /** An integer tensor of the given shape ([B] may also come as [B, 1], as HF squeezes it). */
    private static int[] ints(SafetensorsFile f, Path file, String name, int... shape) throws IOException {
        if (f.info(name).dtype().isFloat()) throw new ModelFormatException(file + ": " + name + " must be integers (I32 or I64)");
        IntTensor x = f.readInts(name);
        boolean squeezed = shape.length == 1 && x.shape().length == 2 && x.shape()[0] == shape[0] && x.shape()[1] == 1;
        if (!Arrays.equals(x.shape(), shape) && !squeezed)
            throw new ModelFormatException(file + ": " + name + " must be " + Arrays.toString(shape) + ", got " + Arrays.toString(x.shape()));
        return x.data();
    }
}
