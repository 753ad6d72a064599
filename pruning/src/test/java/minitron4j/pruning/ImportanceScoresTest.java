package minitron4j.pruning;

import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.backend.CpuBackend;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImportanceScoresTest {

    @Test
    void writesTheDocumentedKeysAndReadsBackTheSameScores(@TempDir Path dir) throws Exception {
        NemotronConfig c = TinyModels.gqa();
        ImportanceOptions opt = ImportanceOptions.defaults().withAggregations(Aggregation.VAR, Aggregation.MEAN)
                .withNeuron(NeuronActivation.POST).withHead(HeadStatistic.PER_CHANNEL).withDepthLoss(true)
                .withSource("/models/tiny", 7L);
        ImportanceScores s = Pruning.importance(new CpuBackend(), TinyModels.parameters(c, 1), TinyModels.batches(2), opt);
        Path file = dir.resolve("sub/scores.json");
        s.write(file);

        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        assertEquals(List.of("embedding", "heads", "neurons", "layers", "layers_loss", "options"), names(json));
        assertEquals(List.of("batch_agg", "seq_agg", "neuron", "head", "samples", "seq_len", "seed", "model"),
                names((ObjectNode) json.get("options")));
        assertEquals("mean", json.at("/options/batch_agg").asText());
        assertEquals("var", json.at("/options/seq_agg").asText());
        assertEquals("post", json.at("/options/neuron").asText());
        assertEquals("per-channel", json.at("/options/head").asText());
        assertEquals(5, json.at("/options/samples").asInt());
        assertEquals(7, json.at("/options/seq_len").asInt());
        assertEquals(3, json.get("heads").size());
        assertEquals(4, json.get("heads").get(0).size());

        ImportanceScores r = ImportanceScores.read(file);
        assertArrayEquals(s.embedding(), r.embedding());
        for (int l = 0; l < 3; l++) {
            assertArrayEquals(s.heads()[l], r.heads()[l]);
            assertArrayEquals(s.neurons()[l], r.neurons()[l]);
        }
        assertArrayEquals(s.layers(), r.layers());
        assertArrayEquals(s.layersLoss(), r.layersLoss());
        assertEquals(s.options(), r.options());
        assertEquals(s.samples(), r.samples());
        assertEquals(s.seqLen(), r.seqLen());
    }

    @Test
    void withoutDepthLossThereIsNoLayersLossKeyAndNullProvenanceStaysNull(@TempDir Path dir) throws Exception {
        ImportanceScores s = TrimmerTest.scores(TinyModels.gqa(), PruningPlanTest.flatHeads(TinyModels.gqa()));
        s.write(dir.resolve("s.json"));
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(dir.resolve("s.json").toFile());
        assertEquals(List.of("embedding", "heads", "neurons", "layers", "options"), names(json));
        assertNull(ImportanceScores.read(dir.resolve("s.json")).layersLoss());
        assertNull(ImportanceScores.read(dir.resolve("s.json")).options().seed());
    }

    @Test
    void malformedFilesNameTheKey() {
        ObjectMapper m = new ObjectMapper();
        assertEquals("s.json: \"layers\" must be an array of numbers, found null",
                assertThrows(IllegalArgumentException.class, () -> ImportanceScores.parse(
                        m.readTree("{\"embedding\":[1]}"), "s.json")).getMessage());
        assertEquals("aggregation \"rms\" is not one of mean, l2, var", assertThrows(IllegalArgumentException.class,
                () -> ImportanceScores.parse(m.readTree("{\"embedding\":[1],\"heads\":[[1]],\"neurons\":[[1]],\"layers\":[1],"
                        + "\"options\":{\"seq_agg\":\"rms\",\"batch_agg\":\"l2\",\"neuron\":\"pre\",\"head\":\"per-token\"}}"), "s.json"))
                .getMessage());
    }

    static List<String> names(ObjectNode o) {
        List<String> n = new ArrayList<>();
        o.fieldNames().forEachRemaining(n::add);
        return n;
    }
}
