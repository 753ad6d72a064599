package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.Fixtures;
import minitron4j.model.io.Checkpoint;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calibration windows and the side-by-side comparison on a small data folder. */
class ModelComparisonTest {

    /** A data folder written by hand: the bytes of a short text as token ids (train.bin, val.bin), vocab 256. */
    static Path dataFolder(Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        write(data.resolve(TokenData.TRAIN), "Document one says the union is strong. ".repeat(20));
        write(data.resolve(TokenData.VAL), "Document two says the union is sound. ".repeat(5));
        Files.writeString(data.resolve(TokenData.TOKENIZER), "{}");
        Files.writeString(data.resolve(TokenData.INFO), "{\"vocab_size\": 256, \"eos_id\": 3}");
        return data;
    }

    static void write(Path file, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(4 * b.length).order(ByteOrder.LITTLE_ENDIAN);
        for (byte x : b) buf.putInt(x);
        Files.write(file, buf.array());
    }

    @Test
    void calibrationWindowsAreReproducibleBySeedAndBatched(@TempDir Path tmp) throws Exception {
        Path data = dataFolder(tmp);
        List<Batch> a = Calibration.windows(data, 5, 16, 2, 3), b = Calibration.windows(data, 5, 16, 2, 3);
        assertEquals(List.of(2, 2, 1), a.stream().map(Batch::batch).toList());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).ids(), b.get(i).ids());
        assertTrue(!java.util.Arrays.equals(a.get(0).ids(), Calibration.windows(data, 5, 16, 2, 4).get(0).ids()));
    }

    @Test
    void comparisonReportsTheEvaluatorsLossForEachModel(@TempDir Path tmp) throws Exception {
        Path data = dataFolder(tmp), src = Fixtures.hfNemotron("tiny-gqa"), pruned = tmp.resolve("pruned");
        ImportanceScores scores = Pruning.importance(new CpuBackend(), src, data, 4, 16, 2, ImportanceOptions.defaults().withSource(null, 1L));
        assertEquals(1L, scores.options().seed());
        assertEquals(src.toAbsolutePath().normalize().toString(), scores.options().model());
        scores.write(tmp.resolve("scores.json"));
        Pruning.prune(src, tmp.resolve("scores.json"), PruningTarget.keepAll().withIntermediateSize(96), PruningOptions.defaults(), pruned);

        List<ModelComparison.Row> rows = ModelComparison.compare(List.of(src, pruned), data, 32, 2);
        assertEquals(2, rows.size());
        try (TokenData d = TokenData.open(data); Backend.Session session = new CpuBackend().open(Checkpoint.load(pruned).params())) {
            Evaluator.Result direct = new Evaluator(session, 32, 2).evaluate(d.val(), Long.MAX_VALUE);
            assertEquals(direct.ceLoss(), rows.get(1).valLoss(), 0);
            assertEquals(direct.perplexity(), rows.get(1).perplexity(), 0);
        }
        assertEquals(Checkpoint.load(src).config().parameterCount(), rows.get(0).parameters());
        assertTrue(rows.get(1).parameters() < rows.get(0).parameters());
        assertTrue(rows.get(0).forwardTokensPerSecond() > 0);
    }
}
