package minitron4j.training;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Data folders for tests: a Markov chain over a small vocabulary that a tiny model learns in a few steps. */
public final class TinyData {
    public static final int VOCAB = 32;

    private TinyData() {}

    /** Writes train.bin / val.bin of the given lengths, a placeholder tokenizer.json and data.json. */
    public static Path write(Path dir, int trainTokens, int valTokens) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(42);
        int[] next = new int[VOCAB];
        for (int i = 0; i < VOCAB; i++) next[i] = (i * 7 + 3) % VOCAB;
        writeIds(dir.resolve(TokenData.TRAIN), chain(trainTokens, next, r));
        writeIds(dir.resolve(TokenData.VAL), chain(valTokens, next, r));
        Files.writeString(dir.resolve(TokenData.TOKENIZER), "{}");
        Files.writeString(dir.resolve(TokenData.INFO), "{\"vocab_size\": " + VOCAB + ", \"eos_id\": 0, \"unigram_entropy_nats\": "
                + Math.log(VOCAB) + "}");
        return dir;
    }

    /** The token after t is next[t] with probability 0.9, else uniform. */
    static int[] chain(int n, int[] next, SplittableRandom r) {
        int[] ids = new int[n];
        int t = 1;
        for (int i = 0; i < n; i++) {
            ids[i] = t;
            t = r.nextDouble() < 0.9 ? next[t] : r.nextInt(VOCAB);
        }
        return ids;
    }

    static void writeIds(Path file, int[] ids) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(ids);
        Files.write(file, b.array());
    }
}
