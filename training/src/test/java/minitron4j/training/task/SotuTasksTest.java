package minitron4j.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The State of the Union labeled tasks on a folder laid out as the corpus is: labels, passages and the split by address. */
class SotuTasksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Addresses of the corpus's file names, each a run of numbered sentences. */
    Path corpus() throws IOException {
        Path sotu = Files.createDirectories(dir.resolve("data"));
        String[] files = {"1790_george_washington_n", "1801_thomas_jefferson_dr", "1850_zachary_taylor_w", "1862_abraham_lincoln_r",
                "1900_william_mckinley_r", "1913_woodrow_wilson_d", "1934_franklin_d_roosevelt_d", "1962_john_f_kennedy_d",
                "1985_ronald_reagan_r", "2010_barack_obama_d", "2019_donald_j_trump_r", "2020_donald_j_trump_r"};
        for (String f : files) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 400; i++) text.append("Sentence ").append(i).append(" of ").append(f).append(" speaks of the Union. ");
            Files.writeString(sotu.resolve(f + ".txt"), text.toString());
            Files.writeString(sotu.resolve(f + ".json"), "{}"); // the twins the corpus ships beside the text
        }
        return sotu;
    }

    @Test
    void eraPassagesAreLabelledAndHeldOutByWholeAddresses() throws IOException {
        SotuTasks.Written w = SotuTasks.write("sotu-era", corpus(), dir.resolve("era"), 0.3, 4);
        assertEquals(12, w.trainAddresses() + w.valAddresses());
        assertTrue(w.valAddresses() > 0 && w.trainAddresses() > 0, w.toString());
        Set<String> trainSources = sources(dir.resolve("era/train.jsonl")), valSources = sources(dir.resolve("era/val.jsonl"));
        assertTrue(trainSources.stream().noneMatch(valSources::contains), "an address on both sides");
        int passages = 0;
        for (String line : Files.readAllLines(dir.resolve("era/train.jsonl"))) {
            JsonNode o = JSON.readTree(line);
            int year = Integer.parseInt(o.get("source").asText().substring(0, 4));
            assertEquals(year <= 1860 ? "1790-1860" : year <= 1932 ? "1861-1932" : "1933-2021", o.get("label").asText());
            assertTrue(o.get("text").asText().length() >= SotuTasks.PASSAGE_CHARS, o.get("text").asText());
            passages++;
        }
        assertEquals(SotuTasks.PASSAGES_PER_ADDRESS * w.trainAddresses(), passages);
        HeadSpec head = LabeledData.inferHead(dir.resolve("era/train.jsonl"), Architecture.SEQUENCE_CLASSIFICATION);
        assertTrue(List.of("1790-1860", "1861-1932", "1933-2021").containsAll(head.labels()), head.labels().toString());
    }

    @Test
    void partyKeepsTheTwoPartiesFrom1861() throws IOException {
        SotuTasks.write("sotu-party", corpus(), dir.resolve("party"), 0.3, 4);
        Set<String> sources = sources(dir.resolve("party/train.jsonl"));
        sources.addAll(sources(dir.resolve("party/val.jsonl")));
        assertEquals(Set.of("1862_abraham_lincoln_r.txt", "1900_william_mckinley_r.txt", "1913_woodrow_wilson_d.txt",
                "1934_franklin_d_roosevelt_d.txt", "1962_john_f_kennedy_d.txt", "1985_ronald_reagan_r.txt", "2010_barack_obama_d.txt",
                "2019_donald_j_trump_r.txt", "2020_donald_j_trump_r.txt"), sources);
        assertNull(SotuTasks.label("sotu-party", 1850, "w"));
        assertEquals("Democratic", SotuTasks.label("sotu-party", 1934, "d"));
    }

    private static Set<String> sources(Path jsonl) throws IOException {
        Set<String> s = new HashSet<>();
        for (String line : Files.readAllLines(jsonl)) s.add(JSON.readTree(line).get("source").asText());
        return s;
    }
}
