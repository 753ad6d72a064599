package minitron4j.model.io;

import minitron4j.model.Batch;
import minitron4j.model.ModelFormatException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a batch of token ids from a safetensors file: {@code input_ids} (I32 or I64, [B,T]) and,
 * optionally, {@code attention_mask} ([B,T], ones then zeros: right padding).
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
}
