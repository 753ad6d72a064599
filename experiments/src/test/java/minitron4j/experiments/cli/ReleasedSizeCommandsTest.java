package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import minitron4j.experiments.bench.ReleasedShape;
import minitron4j.model.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static minitron4j.experiments.cli.CommandLineTest.lastLine;
import static minitron4j.experiments.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The road a researcher takes with a released checkpoint, on a small config through the same code:
 * init in bf16, info from the headers, generate as stored, prune and convert keeping bf16.
 */
class ReleasedSizeCommandsTest {
    @Test
    void initInfoGeneratePruneAndConvertKeepBf16(@TempDir Path tmp) throws Exception {
        Path config = Fixtures.hfNemotron("tiny-gqa").resolve("config.json"), model = tmp.resolve("m");
        CommandLineTest.Run r = run("init", "--config", config.toString(), "--dtype", "bf16", "--seed", "3", "--out", model.toString());
        assertEquals(0, r.code(), r.err());

        r = run("info", "--model", model.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode info = JsonOutput.JSON.readTree(lastLine(r.out()));
        assertEquals("BF16", info.get("dtype").asText());
        assertEquals(2 * info.get("parameters").asLong(), info.get("weight_bytes").asLong());

        r = run("generate", "--model", model.toString(), "--prompt-ids", "5,17,9", "--max-new-tokens", "4", "--ignore-eos", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(7, JsonOutput.JSON.readTree(lastLine(r.out())).get("ids").size());

        r = run("prune", "--model", model.toString(), "--random", "--seed", "1", "--intermediate-size", "96",
                "--out", tmp.resolve("p").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(tmp.resolve("p/config.json")).contains("\"torch_dtype\" : \"bfloat16\""));
        r = run("convert", "--model", tmp.resolve("p").toString(), "--dtype", "f16", "--out", tmp.resolve("c").toString());
        assertEquals(0, r.code(), r.err());
        r = run("info", "--model", tmp.resolve("c").toString(), "--json");
        assertEquals("F16", JsonOutput.JSON.readTree(lastLine(r.out())).get("dtype").asText());
    }

    @Test
    void releasedShapesAreTheModelCardsAndBadDtypesAreNamed(@TempDir Path tmp) throws Exception {
        var c4 = ReleasedShape.MINITRON_4B.config();
        assertEquals(3072, c4.hiddenSize());
        assertEquals(4_190_509_056L, c4.parameterCount());
        assertEquals(24, c4.numAttentionHeads());
        assertEquals(128, c4.headDim());
        assertEquals(16384, ReleasedShape.MINITRON_8B.config().intermediateSize());
        assertEquals(6144, ReleasedShape.NEMOTRON_4_15B.config().hiddenSize());

        CommandLineTest.Run r = run("init", "--config", "minitron-4b", "--dtype", "int4", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--dtype must be bf16, f16 or f32, got int4"), r.err());
        assertTrue(Files.notExists(tmp.resolve("x")));
    }
}
