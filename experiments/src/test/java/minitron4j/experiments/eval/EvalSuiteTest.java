package minitron4j.experiments.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Fixtures;
import minitron4j.model.Nemotron;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.training.DataBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalSuiteTest {
    @TempDir
    Path dir;

    @Test
    void runsJsonlTasksValidationSpeedAndSamplesIntoJsonAndMarkdown() throws IOException {
        Path mc = Files.writeString(dir.resolve("facts.jsonl"), """
                {"context": "The capital of Kenya is", "choices": ["Nairobi", "Lagos", "Cairo"], "label": 0}
                {"context": "Call me", "choices": ["Ishmael.", "Ahab."], "label": 0}
                """);
        // LAMBADA's own schema: the word is what follows the last space.
        Path lambada = Files.writeString(dir.resolve("lambada.jsonl"), """
                {"text": "He looked at the whale and the whale looked at him, the great white whale"}
                """);
        Path texts = Files.createDirectories(dir.resolve("texts"));
        for (int i = 0; i < 4; i++)
            Files.writeString(texts.resolve("doc" + i + ".txt"), ("Call me Ishmael. Some years ago, never mind how long. " + i).repeat(20));
        Path data = dir.resolve("data");
        DataBuilder.build(List.of(texts), Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json").toString(), 0.25, 0, data);

        HfTokenizer tok = TinyModels.byteLevel();
        Nemotron model = TinyModels.random(tok.vocabSize(), 64, 9);
        EvalSuite.Options options = new EvalSuite.Options(List.of(mc.toString(), lambada.toString()), 10, 0, dir.resolve("cache"),
                data, 4, new SpeedProbe.Settings(1, 16, 4, 4, 1, 0), List.of("The whale"), 5);
        EvalSuite suite = EvalSuite.prepare(options);
        assertEquals(1, suite.multipleChoiceTasks().size());
        assertEquals(1, suite.lastWordTasks().size());
        assertEquals("whale", suite.lastWordTasks().getFirst().items().getFirst().word());
        EvalSuite.Report report = suite.run(TinyModels.session(model), tok);

        ObjectNode json = EvalSuite.toJson(report);
        assertEquals(2, json.get("tasks").get("facts").get("n").asInt());
        assertEquals(2, json.get("tasks").get("facts").get("acc_ci95").size());
        assertTrue(json.get("tasks").get("lambada").get("ppl").asDouble() > 1);
        assertTrue(json.get("validation").get("val_ppl").asDouble() > 1);
        assertTrue(json.get("speed").get("decode_tokens_per_s").asDouble() > 0);
        assertEquals("The whale", json.get("samples").get(0).get("prompt").asText());

        String md = EvalSuite.toMarkdown(report);
        assertTrue(md.contains("| facts ") && md.contains("| lambada ") && md.contains("Validation: CE")
                && md.contains("Speed (median of 1)") && md.contains("- **The whale**"), md);
    }

    @Test
    void unknownTasksAreNamed() {
        EvalSuite.Options options = new EvalSuite.Options(List.of("hellaswag"), 10, 0, dir, null, 4, null, List.of(), 0);
        var e = assertThrows(IOException.class, () -> EvalSuite.prepare(options));
        assertTrue(e.getMessage().contains("\"hellaswag\" is neither a built-in task [quiz, lastword, continuation] nor a JSONL file"),
                e.getMessage());
    }
}
