package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.backend.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke run of the whole study on a tiny model and a small text folder: every arm runs, the
 * results and the report are written, and a second run reuses the cached data and teacher.
 */
class StudyRunnerTest {

    @Test
    void tinyStudyRunsEveryArmAndWritesTheReport(@TempDir Path tmp) throws IOException {
        Path texts = Files.createDirectories(tmp.resolve("texts"));
        String[] sentences = {"The congress shall assemble at least once in every year.",
                "We hold these truths to be self-evident, that all men are created equal.",
                "The state of the Union is strong, and our people are free.",
                "Taxes and tariffs were debated at length by the house and the senate."};
        for (int d = 0; d < 8; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 40; i++) sb.append(sentences[(d + i) % sentences.length]).append(' ');
            Files.writeString(texts.resolve("doc" + d + ".txt"), sb.toString());
        }
        StudySpec spec = new StudySpec("test", List.of(texts.toString()), "bytes", 0.25, 0,
                StudySpec.teacher(32, 2, 4, 2, 8, 64, 64), null, 6, 3e-3, 2, 32, 24, 2, 32, 4, 3, 1e-3, 1.0,
                StudySpec.ALL_ARMS, List.of(0L), List.of(), 10, 2);
        Path cache = tmp.resolve("cache");
        StudyReport.Inputs results = new StudyRunner(spec, tmp.resolve("run"), cache, new CpuBackend()).run();
        assertEquals(StudySpec.ALL_ARMS.size(), results.arms().size());
        Path report = StudyReport.write(results, new CpuBackend());
        String md = Files.readString(report);
        for (String arm : StudySpec.ALL_ARMS) assertTrue(md.contains("| " + arm), "report lacks arm " + arm);
        assertTrue(md.contains("## Findings"));
        for (String png : List.of("loss_curves.png", "final_losses.png", "importance.png"))
            assertTrue(Files.size(tmp.resolve("run").resolve(png)) > 1000, png);
        List<String> rows = Files.readAllLines(tmp.resolve("run/results.jsonl"));
        assertEquals(1 + 2 * StudySpec.ALL_ARMS.size(), rows.size());
        JsonNode first = new ObjectMapper().readTree(rows.get(1));
        assertEquals("pruned", first.get("stage").asText());

        // The same spec again: data and teacher come from the cache, so the teacher is identical.
        StudyReport.Inputs again = new StudyRunner(spec, tmp.resolve("run2"), cache, new CpuBackend()).run();
        assertEquals(results.teacher(), again.teacher());
        assertEquals(results.teacherLoss(), again.teacherLoss());
    }
}
