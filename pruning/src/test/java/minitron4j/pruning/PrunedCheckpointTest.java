package minitron4j.pruning;

import com.fasterxml.jackson.databind.JsonNode;
import minitron4j.model.backend.CpuBackend;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HF fixture models pruned to disk, reloaded, and compared with the same weights cut by hand. */
class PrunedCheckpointTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void prunedCheckpointReloadsAndMatchesTheHandCut(String name, @TempDir Path tmp) throws Exception {
        Path src = Fixtures.hfNemotron(name), scoresFile = tmp.resolve("scores.json"), out = tmp.resolve("pruned");
        Checkpoint.LoadedModel source = Checkpoint.load(src);
        NemotronConfig c = source.config();
        SplittableRandom r = new SplittableRandom(17);
        List<Batch> calibration = List.of(TinyModels.batch(r, 2, 9, new int[]{9, 6}), TinyModels.batch(r, 2, 9, null));
        Pruning.importance(new CpuBackend(), source.params(), calibration,
                ImportanceOptions.defaults().withDepthLoss(true).withSource(src.toString(), 0L)).write(scoresFile);

        PruningTarget target = new PruningTarget(c.hiddenSize() * 3 / 4, PruningPlan.validHeadCounts(c).get(0),
                c.intermediateSize() / 2, c.numHiddenLayers() - 1, null, null);
        PruningPlan plan = Pruning.prune(src, scoresFile, target, PruningOptions.defaults(), out);

        Checkpoint.LoadedModel pruned = Checkpoint.load(out);
        NemotronConfig pc = pruned.config();
        assertEquals(c.hiddenSize() * 3 / 4, pc.hiddenSize());
        assertEquals(c.headDim(), pc.headDim());
        assertEquals(c.numHiddenLayers() - 1, pc.numHiddenLayers());
        assertEquals(c.tieWordEmbeddings(), pc.tieWordEmbeddings());
        Parameters byHand = HandCut.cut(source.params(), pc, plan.embedding(), plan.layers(), plan.heads(), plan.neurons());
        for (Batch b : calibration) assertArrayEquals(TinyModels.logits(byHand, b), TinyModels.logits(pruned.params(), b));

        assertTrue(Files.isRegularFile(out.resolve("generation_config.json")), "generation_config.json copied");
        JsonNode record = new ObjectMapper().readTree(out.resolve("pruning.json").toFile());
        assertEquals(src.toAbsolutePath().normalize().toString(), record.get("source").asText());
        assertEquals(scoresFile.toAbsolutePath().normalize().toString(), record.get("scores").asText());
        assertEquals(c.numHiddenLayers() - 1, record.at("/options/num_layers").asInt());
        assertEquals(false, record.at("/options/random").asBoolean());
        assertEquals(plan.embedding().length, record.at("/kept/embedding").size());
        assertEquals(plan.layers()[0], record.at("/kept/layers/0").asInt());
        assertEquals(plan.heads()[0][0], record.at("/kept/heads/0/0").asInt());
        assertEquals(plan.neurons()[0].length, record.at("/kept/neurons/0").size());
    }

    @Test
    void anOutputAnotherProcessWritesIsRefused(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("student");
        PruningTarget target = PruningTarget.keepAll().withIntermediateSize(96);
        try (minitron4j.model.io.FolderLock held = minitron4j.model.io.FolderLock.beside(out, "prune")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Pruning.prune(Fixtures.hfNemotron("tiny-gqa"), null,
                    target, PruningOptions.defaults().withRandomSeed(1L), out));
            assertTrue(e.getMessage().contains("is being written by another process"), e.getMessage());
            assertTrue(!Files.exists(out), "nothing written");
        }
    }

    @Test
    void randomPruningIsRecordedWithoutScoresAndIsReproducible(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.hfNemotron("tiny-gqa");
        PruningTarget target = PruningTarget.keepAll().withIntermediateSize(96).withNumAttentionHeads(2);
        PruningOptions random = PruningOptions.defaults().withRandomSeed(5L);
        PruningPlan a = Pruning.prune(src, null, target, random, tmp.resolve("a"));
        PruningPlan b = Pruning.prune(src, null, target, random, tmp.resolve("b"));
        assertArrayEquals(a.neurons()[1], b.neurons()[1]);
        JsonNode record = new ObjectMapper().readTree(tmp.resolve("a/pruning.json").toFile());
        assertTrue(record.get("scores").isNull());
        assertEquals(5, record.at("/options/seed").asInt());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")), Files.readAllBytes(tmp.resolve("b/model.safetensors")));
    }

    @Test
    void refusesToOverwriteTheSourceOrAForeignFolder(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.hfNemotron("tiny-gqa");
        PruningOptions random = PruningOptions.defaults().withRandomSeed(1L);
        assertThrows(IllegalArgumentException.class, () -> Pruning.prune(src, null, PruningTarget.keepAll(), random, src));
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> Pruning.prune(src, null, PruningTarget.keepAll(), random, tmp));
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
    }
}
