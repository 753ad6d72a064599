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
import static org.junit.jupiter.api.Assertions.assertSame;
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
                StudySpec.MAIN_ARMS, List.of(1.0, 2.0), List.of(0L), List.of(), 10, 2, null);
        Path cache = tmp.resolve("cache");
        StudyReport.Inputs results = new StudyRunner(spec, tmp.resolve("run"), cache, new CpuBackend()).run();
        assertEquals(StudySpec.MAIN_ARMS.size(), results.arms().size());
        assertEquals(2, results.scratchCurve().size(), "the curve's 1x point is the scratch arm, the 2x point its own run");
        // The same object (records compare their window arrays by identity): the 1x point reuses the arm, not a rerun.
        assertSame(results.arms().stream().filter(a -> a.arm().equals("scratch")).findFirst().orElseThrow().afterTraining(),
                results.scratchCurve().get(0).result());
        assertEquals(6, results.pruningChecks().size(), "four aggregations, then iterative and single-shot importance");
        Path report = StudyReport.write(results, new CpuBackend());
        String md = Files.readString(report);
        for (String arm : StudySpec.MAIN_ARMS) assertTrue(md.contains("| " + arm), "report lacks arm " + arm);
        for (String section : List.of("## Findings", "## Tokens to match", "## The papers' best practices", "paired bootstrap",
                "tokens seen in total", "sampled"))
            assertTrue(md.contains(section), "report lacks " + section);
        for (String png : List.of("loss_curves.png", "final_losses.png", "importance.png", "tokens_to_match.png"))
            assertTrue(Files.size(tmp.resolve("run").resolve(png)) > 1000, png);
        List<String> rows = Files.readAllLines(tmp.resolve("run/results.jsonl"));
        assertEquals(1 + 2 * StudySpec.MAIN_ARMS.size() + 1, rows.size(), "teacher, each arm pruned and trained, scratch at 2x");
        JsonNode first = new ObjectMapper().readTree(rows.get(1));
        assertEquals("pruned", first.get("stage").asText());

        // The same study from a spec file through `demo --spec`: data and teacher come from the cache;
        // teacher correction on another text, which the teacher's tokenizer encodes.
        Path other = Files.createDirectories(tmp.resolve("other"));
        for (int d = 0; d < 4; d++)
            Files.writeString(other.resolve("novel" + d + ".txt"), "Call me Ishmael. Some years ago, never mind how long. ".repeat(30));
        Path specFile = tmp.resolve("study.yaml");
        Files.writeString(specFile, """
                name: test
                corpus: [%s]
                tokenizer: bytes
                val_fraction: 0.25
                teacher:
                  model: {hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
                          head_dim: 8, intermediate_size: 64, max_position_embeddings: 64, tie_word_embeddings: false}
                  steps: 6
                  lr: 0.003
                batch: 2
                seq_len: 32
                student: {hidden_size: 24, num_attention_heads: 2, intermediate_size: 32}
                calibration_samples: 4
                arm_steps: 3
                arm_lr: 0.001
                arms: [width_kd, scratch, corrected_kd, uncorrected_kd]
                scratch_budgets: [1, 2]
                teacher_correction: {corpus: [%s], steps: 3, lr: 0.001}
                seeds: [0]
                tasks: []
                task_items: 10
                eval_batches: 2
                """.formatted(texts, other));
        StudySpec fromFile = StudySpec.load(specFile);
        assertEquals(List.of("width_kd", "scratch", "corrected_kd", "uncorrected_kd"), fromFile.arms());
        assertEquals(spec.teacherModel(), fromFile.teacherModel());
        int code = minitron4j.experiments.cli.Minitron4j.commandLine().execute("demo", "--spec", specFile.toString(),
                "--out", tmp.resolve("run2").toString(), "--cache", cache.toString(), "--threads", "1");
        assertEquals(0, code);
        List<String> again = Files.readAllLines(tmp.resolve("run2/results.jsonl"));
        assertEquals(rows.get(0), again.get(0), "the cached teacher scores the same");
        String md2 = Files.readString(tmp.resolve("run2/report.md"));
        assertTrue(md2.contains("## Tokens to match"));
        assertTrue(md2.contains("teacher correction: distilling from the corrected teacher"), "the correction finding");
        assertTrue(md2.contains("| corrected_kd"), "the correction arms' rows");
        assertTrue(Files.readString(tmp.resolve("run2/results.jsonl")).contains("\"corrected_teacher\""));
    }
}
