package minitron4j.training.task;

import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import minitron4j.model.Parameters;
import minitron4j.model.ProblemType;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.ByteTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.training.JsonlLog;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainingSummary;
import minitron4j.training.WindowSampler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fine-tuning the three task heads from a tiny causal LM (byte tokenizer): labeled JSONL read and
 * checked, exact answer spans, the loss falls and the metric rises on a learnable task, the
 * checkpoint is a model of the task's class, and a resumed run logs what an uninterrupted one does.
 */
class FineTuneTest {
    @TempDir
    Path dir;

    static final Tokenizer BYTES = ByteTokenizer.create();

    Path lm() throws IOException {
        return TaskFixtures.byteLm(dir.resolve("lm"));
    }

    Path letters(String name, int n, long seed) throws IOException {
        return TaskFixtures.letters(dir.resolve(name), n, seed);
    }

    Path write(String name, List<String> lines) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    FinetuneSpec spec(String task, Path model, Path data, Path val, int steps) {
        return new FinetuneSpec(task, model, data, val, steps, 4, 16, 3e-3, 0, 0, 1.0, 1, 4, 2, 1);
    }

    static final TrainOptions QUIET = TrainOptions.defaults().withProgressBar(false);

    @Test
    void sequenceClassificationLearnsAndSavesItsClass() throws IOException {
        Path lm = lm(), train = letters("train.jsonl", 64, 1), val = letters("val.jsonl", 24, 2);
        TrainingSummary s = FineTuner.run(spec("sequence-classification", lm, train, val, 24), dir.resolve("run"), false, QUIET);
        assertTrue(s.lastValidation().get("val_accuracy") >= 0.9, "accuracy " + s.lastValidation());
        Checkpoint.LoadedModel m = Checkpoint.load(s.lastCheckpoint());
        assertEquals(Architecture.SEQUENCE_CLASSIFICATION, m.config().architecture());
        assertEquals(List.of("x", "y"), m.config().head().labels());
        assertEquals(ProblemType.SINGLE_LABEL, m.config().head().problemType());
        assertTrue(Files.isRegularFile(s.lastCheckpoint().resolve("tokenizer.json")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sequence-classification", "question-answering", "token-classification"})
    void aResumedRunLogsWhatAnUninterruptedOneDoes(String task) throws IOException {
        Path lm = lm();
        Path data = switch (task) {
            case "question-answering" -> write("qa.jsonl", List.of(
                    "{\"question\": \"who?\", \"context\": \"it was bob here\", \"answer\": \"bob\", \"answer_start\": 7}",
                    "{\"question\": \"what?\", \"context\": \"a cat sat\", \"answer\": \"cat\", \"answer_start\": 2}",
                    "{\"question\": \"where?\", \"context\": \"home is far\", \"answer\": \"home\", \"answer_start\": 0}"));
            case "token-classification" -> write("tags.jsonl", List.of(
                    "{\"tokens\": [\"the\", \"dog\", \"ran\"], \"tags\": [\"O\", \"N\", \"V\"]}",
                    "{\"tokens\": [\"a\", \"cat\", \"sat\", \"down\"], \"tags\": [\"O\", \"N\", \"V\", \"O\"]}"));
            default -> letters("train.jsonl", 12, 3);
        };
        FineTuner.run(spec(task, lm, data, data, 6), dir.resolve("straight"), false, QUIET);
        // the same run stopped after its step-2 checkpoint: later checkpoints gone, latest pointing at step-2
        Path resumed = dir.resolve("resumed");
        copyTree(dir.resolve("straight"), resumed);
        for (String step : List.of("step-4", "step-6")) deleteTree(resumed.resolve("checkpoints").resolve(step));
        Files.writeString(resumed.resolve("latest"), "step-2\n");
        FineTuner.run(null, resumed, true, QUIET);
        List<Map<String, Object>> a = JsonlLog.read(dir.resolve("straight").resolve("log.jsonl")),
                b = JsonlLog.read(dir.resolve("resumed").resolve("log.jsonl"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++)
            for (String key : List.of("task_loss", "grad_norm", "val_task_loss"))
                assertEquals(a.get(i).get(key), b.get(i).get(key), "row " + i + " " + key);
        Parameters x = Checkpoint.load(dir.resolve("straight/checkpoints/step-6")).params(),
                y = Checkpoint.load(dir.resolve("resumed/checkpoints/step-6")).params();
        for (Tensor t : x.tensors()) assertArrayEquals(t.data(), y.data(t.name()), t.name());
    }

    @Test
    void questionSpansAndWordStartsAreExact() {
        TaskEncoder e = new TaskEncoder(BYTES, 64);
        TaskEncoder.Question q = e.question("who?", "it was bob here", 7, "bob");
        assertEquals(" bob", BYTES.decode(Arrays.copyOfRange(q.ids(), q.start(), q.end() + 1), true));
        TaskEncoder.Question first = e.question("who?", "bob was here", 0, "bob");
        assertEquals(" bob", BYTES.decode(Arrays.copyOfRange(first.ids(), first.start(), first.end() + 1), true));
        assertEquals(q.contextStart(), first.start());
        TaskEncoder.Words w = e.words(List.of("ab", "c"));
        assertEquals("ab", BYTES.decode(new int[]{w.ids()[w.firstToken()[0]], w.ids()[w.firstToken()[0] + 1]}, true));
        assertEquals(" ", BYTES.decode(new int[]{w.ids()[w.firstToken()[1]]}, true));
        // an answer cut off by the length limit is no example; a question with no room for its context is refused
        assertEquals(-1, new TaskEncoder(BYTES, 12).question("who?", "it was bob here", 7, "bob").start());
        assertTrue(new TaskEncoder(BYTES, 12).question("who?", "it was bob here", -1, null).cut());
        assertError(() -> new TaskEncoder(BYTES, 6).question("who is it?", "bob", -1, null), "no room for its context");
    }

    /** Training encodes the context in pieces around the answer; for answers that start a word, inference's whole encoding is the same. */
    @ParameterizedTest
    @ValueSource(strings = {"bytelevel", "spbpe"})
    void trainingSeesTheTokensInferenceSees(String tokenizer) {
        TaskEncoder e = new TaskEncoder(minitron4j.model.tokenizer.HfTokenizer.load(
                minitron4j.model.Fixtures.hfTokenizers(tokenizer).resolve("tokenizer.json")), 256);
        String context = "The President met the Congress in December, and the treaty was signed in Paris that year.";
        for (String answer : List.of("The President", "Congress", "December", "Paris", "year.")) {
            TaskEncoder.Question train = e.question("Where was it signed?", context, context.indexOf(answer), answer);
            TaskEncoder.Question infer = e.question("Where was it signed?", context, -1, null);
            assertArrayEquals(infer.ids(), train.ids(), tokenizer + ": " + answer);
            assertEquals(answer, e.tokenizer().decode(Arrays.copyOfRange(train.ids(), train.start(), train.end() + 1), true).strip());
        }
    }

    @Test
    void labelsOfAnotherKindThanTheFilesAreRefusedByName() throws IOException {
        TaskEncoder e = new TaskEncoder(BYTES, 8);
        HeadSpec h = new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("a", "b"), null);
        // the file's first label settles its kind: a name, so every label must be one
        assertError(() -> LabeledData.read(write("k.jsonl", List.of("{\"text\":\"t\",\"label\":\"a\"}", "{\"text\":\"u\",\"label\":[\"a\"]}")), h, e),
                "k.jsonl:2: field label must be a label name");
        HeadSpec regression = new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, HeadSpec.defaultLabels(2), ProblemType.REGRESSION);
        assertError(() -> LabeledData.read(write("r.jsonl", List.of("{\"text\":\"t\",\"label\":[0.5]}")), regression, e),
                "r.jsonl:1: field label must be a list of 2 numbers");
        assertError(() -> LabeledData.inferHead(write("e.jsonl", List.of("{\"text\":\"t\",\"label\":[]}")), Architecture.SEQUENCE_CLASSIFICATION),
                "no label names");
    }

    @Test
    void headsAreInferredFromTheData() throws IOException {
        assertEquals(new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("a", "b"), ProblemType.SINGLE_LABEL),
                LabeledData.inferHead(write("s.jsonl", List.of("{\"text\":\"t\",\"label\":\"b\"}", "{\"text\":\"u\",\"label\":\"a\"}")),
                        Architecture.SEQUENCE_CLASSIFICATION));
        assertEquals(new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("LABEL_0"), ProblemType.REGRESSION),
                LabeledData.inferHead(write("r.jsonl", List.of("{\"text\":\"t\",\"label\":0.5}")), Architecture.SEQUENCE_CLASSIFICATION));
        assertEquals(new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("p", "q", "r"), ProblemType.MULTI_LABEL),
                LabeledData.inferHead(write("m.jsonl", List.of("{\"text\":\"t\",\"label\":[\"r\",\"p\"]}", "{\"text\":\"u\",\"label\":[\"q\"]}")),
                        Architecture.SEQUENCE_CLASSIFICATION));
        assertEquals(List.of("N", "O"), LabeledData.inferHead(write("t.jsonl", List.of("{\"tokens\":[\"a\"],\"tags\":[\"O\"]}",
                "{\"tokens\":[\"b\"],\"tags\":[\"N\"]}")), Architecture.TOKEN_CLASSIFICATION).labels());
    }

    @Test
    void badLinesAreNamedByFileLineAndField() throws IOException {
        HeadSpec h = new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("a", "b"), ProblemType.SINGLE_LABEL);
        TaskEncoder e = new TaskEncoder(BYTES, 32);
        assertError(() -> LabeledData.read(write("x.jsonl", List.of("{\"text\":\"t\",\"label\":\"a\"}", "{\"text\":\"t\"}")), h, e),
                "x.jsonl:2: field label is missing");
        assertError(() -> LabeledData.read(write("y.jsonl", List.of("{\"text\":\"t\",\"label\":\"c\"}")), h, e), "y.jsonl:1: field label names \"c\"");
        assertError(() -> LabeledData.read(write("z.jsonl", List.of("not json")), h, e), "z.jsonl:1: not a JSON object");
        HeadSpec qa = new HeadSpec(Architecture.QUESTION_ANSWERING, HeadSpec.defaultLabels(2), null);
        assertError(() -> LabeledData.read(write("q.jsonl", List.of(
                "{\"question\":\"q\",\"context\":\"abc\",\"answer\":\"b\",\"answer_start\":0}")), qa, e), "q.jsonl:1: field answer_start 0 does not point");
        assertError(() -> LabeledData.read(write("f.jsonl", List.of(
                "{\"question\":\"q\",\"context\":\"abc\",\"answer\":\"b\",\"answer_start\":1.5}")), qa, e), "f.jsonl:1: field answer_start must be");
        HeadSpec tags = new HeadSpec(Architecture.TOKEN_CLASSIFICATION, List.of("O"), null);
        assertError(() -> LabeledData.read(write("t.jsonl", List.of("{\"tokens\":[\"a\",\"b\"],\"tags\":[\"O\"]}")), tags, e),
                "t.jsonl:1: field tags holds 1 tags for 2 tokens");
    }

    @Test
    void theSamplerShufflesEachEpochAndRestoresItsPosition() {
        List<LabeledExample> ex = new ArrayList<>();
        for (int i = 0; i < 5; i++) ex.add(new LabeledExample(new int[]{i + 1}, i % 2, null, null, -1, -1, 0));
        ExampleSampler a = new ExampleSampler(ex, Architecture.SEQUENCE_CLASSIFICATION, 2, 4, 0, 9);
        int[] seen = new int[5];
        for (int i = 0; i < 5; i++) seen[a.next(1).ids()[0] - 1]++;
        for (int count : seen) assertEquals(1, count, "an epoch draws every example once");
        int[] next = a.next(3).ids().clone();
        ExampleSampler b = new ExampleSampler(ex, Architecture.SEQUENCE_CLASSIFICATION, 2, 4, 0, 9);
        b.restore(new WindowSampler.State(9, 5));
        assertArrayEquals(next, b.next(3).ids());
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        minitron4j.model.io.AtomicWrites.deleteRecursively(p);
    }

    interface Action {
        Object run() throws IOException;
    }

    static void assertError(Action a, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, a::run);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
