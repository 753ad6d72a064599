package minitron4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import minitron4j.distillation.DistillOptions;
import minitron4j.model.Fixtures;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.training.Evaluator;
import minitron4j.training.TinyData;
import minitron4j.training.TrainingSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java example, compiled and run on a tiny teacher: the lines between the markers
 * below are the README's snippet, character for character (the second test compares them).
 */
class ReadmeExampleTest {
    private static final String BEGIN = "// README example begins", END = "// README example ends";

    @Test
    void theReadmeExampleRuns(@TempDir Path tmp) throws IOException {
        Path dataDir = TinyData.write(tmp.resolve("data"), 4000, 400);
        Path teacherDir = tmp.resolve("teacher"), scoresFile = tmp.resolve("scores.json");
        Path studentDir = tmp.resolve("student"), runDir = tmp.resolve("run");
        NemotronConfig config = NemotronConfig.of(TinyData.VOCAB, 32, 64, 2, 4, 2, 8, false);
        Checkpoint.save(teacherDir, config, Parameters.initialize(config, 1), Dtype.F32);

        // README example begins
        Backend backend = Minitron.backend("cpu"); // or "tornado" with the TornadoVM SDK
        Evaluator.Result before;
        try (OpenModel teacher = Minitron.open(teacherDir, backend)) {
            int[] ids = teacher.generate(new int[]{1, 5, 9}, 8, Sampler.greedy());
            ImportanceScores scores = teacher.importance(dataDir, 16, 32, 0, ImportanceOptions.defaults());
            scores.write(scoresFile);
            before = teacher.evaluate(dataDir, 32, 4);
        }
        PruningPlan plan = Minitron.prune(teacherDir, scoresFile, PruningTarget.width(24, 2, 48), studentDir);
        DistillOptions options = DistillOptions.defaults(10).withShape(4, 32).withProgressBar(false);
        TrainingSummary run = Minitron.distill(teacherDir, studentDir, dataDir, options, runDir, false, backend);
        try (OpenModel student = Minitron.open(run.lastCheckpoint(), backend)) {
            Evaluator.Result after = student.evaluate(dataDir, 32, 4);
            System.out.printf("%d -> %d parameters, val CE %.3f -> %.3f%n", plan.source().parameterCount(),
                    student.config().parameterCount(), before.ceLoss(), after.ceLoss());
        }
        // README example ends

        assertEquals(24, NemotronConfig.load(studentDir).hiddenSize());
        assertEquals(10, run.steps());
        assertTrue(Double.isFinite(before.ceLoss()));
        try (OpenModel teacher = Minitron.open(teacherDir, backend)) {
            assertEquals(3 + 8, teacher.generate(new int[]{1, 5, 9}, 8, Sampler.greedy()).length);
            assertEquals(3 * TinyData.VOCAB, teacher.logits(1, 5, 9).length);
        }
    }

    @Test
    void textGenerationDecodesTheGreedyContinuation(@TempDir Path tmp) throws IOException {
        Path tokenizerJson = Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json");
        HfTokenizer tok = HfTokenizer.load(tokenizerJson);
        NemotronConfig config = NemotronConfig.of(tok.vocabSize(), 32, 64, 2, 4, 2, 8, false);
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, config, Parameters.initialize(config, 2), Dtype.F32);
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"));
        try (OpenModel model = Minitron.open(dir, Minitron.backend("cpu"))) {
            int[] prompt = tok.encode("The state of the");
            int[] all = model.generate(prompt, 6, Sampler.greedy());
            String want = tok.decode(java.util.Arrays.copyOfRange(all, prompt.length, all.length), true);
            assertEquals(want, model.generate("The state of the", 6));
        }
    }

    @Test
    void theReadmeShowsThisExample() throws IOException {
        String test = Files.readString(Path.of("src/test/java/minitron4j/api/ReadmeExampleTest.java"));
        String snippet = test.substring(test.indexOf(BEGIN) + BEGIN.length(), test.indexOf(END)).stripIndent().strip();
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains(snippet), "README.md lacks the example of ReadmeExampleTest:\n" + snippet);
    }
}
