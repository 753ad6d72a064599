package minitron4j.training.task;

import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.tokenizer.ByteTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A tiny causal LM with the byte tokenizer, and a learnable labeled task, for fine-tuning tests. */
public final class TaskFixtures {
    private TaskFixtures() {
    }

    /** A random causal LM checkpoint (hidden 16, 2 layers, GQA) in dir, with the byte tokenizer beside it. */
    public static Path byteLm(Path dir) throws IOException {
        return byteLm(dir, 5);
    }

    /** {@link #byteLm(Path)} with weights drawn from seed. */
    public static Path byteLm(Path dir, long seed) throws IOException {
        NemotronConfig c = NemotronConfig.of(ByteTokenizer.VOCAB_SIZE, 16, 24, 2, 2, 1, 8, false);
        Checkpoint.save(dir, c, Parameters.initialize(c, seed), Dtype.F32);
        ByteTokenizer.create().save(dir.resolve("tokenizer.json"));
        return dir;
    }

    /** n texts that repeat "x" or "y", labelled by that letter: a task a tiny model learns in a few steps. */
    public static Path letters(Path file, int n, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String letter = r.nextBoolean() ? "x" : "y";
            lines.add("{\"text\": \"" + letter.repeat(3 + r.nextInt(8)) + "\", \"label\": \"" + letter + "\"}");
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
