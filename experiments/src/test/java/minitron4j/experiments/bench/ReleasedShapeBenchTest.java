package minitron4j.experiments.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backends;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.RandomCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The released-shape bench's report on a small bf16 checkpoint (the real sizes are measured by hand,
 * see the README): decode timed in rounds, each paired with its own read probe.
 */
class ReleasedShapeBenchTest {
    @Test
    void decodeRoundsArePairedWithReadProbes(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("small");
        RandomCheckpoint.write(model, NemotronConfig.of(512, 64, 128, 2, 4, 2, 16, false), Dtype.BF16, 1);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        var settings = new ReleasedShapeBench.Settings(ReleasedShape.find("minitron-4b"), model, 8, 6, 3, 16L << 20);
        JsonNode report = new ReleasedShapeBench(Backends.get("cpu"), settings, new PrintStream(log, true, StandardCharsets.UTF_8)).run();

        assertTrue(log.toString(StandardCharsets.UTF_8).contains("is not exactly the minitron-4b config"), log.toString(StandardCharsets.UTF_8));
        JsonNode decode = report.get("decode");
        assertEquals(6, decode.get("tokens").asInt());
        JsonNode rounds = decode.get("rounds");
        assertEquals(4, rounds.size());
        int tokens = 0;
        double lowest = Double.MAX_VALUE, highest = 0;
        for (JsonNode round : rounds) {
            tokens += round.get("tokens").asInt();
            double read = round.get("stream_read_gb_s").asDouble(), fraction = round.get("fraction_of_roofline").asDouble();
            assertTrue(read > 0 && fraction > 0, round.toString());
            assertEquals(round.get("weight_gb_s").asDouble() / read, fraction, 1e-9 * fraction);
            lowest = Math.min(lowest, fraction);
            highest = Math.max(highest, fraction);
        }
        assertEquals(6, tokens);
        double paired = decode.get("fraction_of_paired_roofline").asDouble();
        assertTrue(paired >= lowest && paired <= highest, "median " + paired + " outside [" + lowest + ", " + highest + "]");
        assertEquals(report.get("decode_weight_bytes_per_token").asLong() * decode.get("tokens_per_s").asDouble() / 1e9,
                decode.get("weight_gb_s").asDouble(), 1e-9 * decode.get("weight_gb_s").asDouble());
    }

    @Test
    void noDecodeTokensMeansNoDecodeSection(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("small");
        RandomCheckpoint.write(model, NemotronConfig.of(256, 32, 64, 1, 2, 1, 16, true), Dtype.BF16, 1);
        var settings = new ReleasedShapeBench.Settings(ReleasedShape.find("minitron-4b"), model, 4, 0, 3, 16L << 20);
        JsonNode report = new ReleasedShapeBench(Backends.get("cpu"), settings, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        assertFalse(report.has("decode"), report.toString());
        assertTrue(report.get("prefill").get("tokens_per_s").asDouble() > 0);
    }
}
