package minitron4j.experiments.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskFilesTest {
    @TempDir
    Path dir;

    private Path file(String name, String... lines) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private String errorOf(Path file) {
        return assertThrows(IOException.class, () -> MultipleChoiceTask.loadJsonl(file)).getMessage();
    }

    @Test
    void readsTheProjectSchemaAndWritesItBack() throws IOException {
        Path f = file("facts.jsonl",
                "{\"context\": \"The capital of Kenya is\", \"choices\": [\"Nairobi\", \"Lagos\"], \"label\": 0}",
                "",
                "{\"context\": \"Call me\", \"choices\": [\"Ahab\", \"Ishmael\", \"Stubb\"], \"label\": \"1\"}");
        MultipleChoiceTask t = MultipleChoiceTask.loadJsonl(f);
        assertEquals("facts", t.name());
        assertEquals(2, t.items().size());
        assertEquals(1, t.items().get(1).label());
        Path back = Files.writeString(dir.resolve("back.jsonl"), t.toJsonl());
        assertEquals(t.items(), MultipleChoiceTask.loadJsonl(back).items());
    }

    @Test
    void errorsNameTheFileLineAndProblem() throws IOException {
        String good = "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"label\": 0}";
        String e = errorOf(file("bad-json.jsonl", good, "{\"context\": \"a\", "));
        assertTrue(e.contains("bad-json.jsonl:2") && e.contains("not valid JSON"), e);
        e = errorOf(file("missing.jsonl", "{\"context\": \"a\", \"answers\": [\"b\"], \"label\": 0}"));
        assertTrue(e.contains("missing.jsonl:1") && e.contains("\"choices\"") && e.contains("answers"), e);
        e = errorOf(file("label.jsonl", good, good, "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"label\": 2}"));
        assertTrue(e.contains("label.jsonl:3") && e.contains("label 2 outside [0, 2)"), e);
        e = errorOf(file("type.jsonl", "{\"context\": \"a\", \"choices\": \"b\", \"label\": 0}"));
        assertTrue(e.contains("type.jsonl:1") && e.contains("\"choices\" must be an array"), e);
        e = errorOf(file("one.jsonl", "{\"context\": \"a\", \"choices\": [\"b\"], \"label\": 0}"));
        assertTrue(e.contains("at least 2 choices"), e);
        e = errorOf(file("empty.jsonl", ""));
        assertTrue(e.contains("no items"), e);
    }

    @Test
    void readsHellaSwagRowsAsLmEvalPreprocessesThem() throws IOException {
        Path f = file("hellaswag_val.jsonl", "{\"ind\": 24, \"activity_label\": \"Roof shingle removal\", "
                + "\"ctx_a\": \"A man is sitting on a roof.\", \"ctx_b\": \"he\", \"ctx\": \"A man is sitting on a roof. he\", "
                + "\"endings\": [\"is using wrap to wrap a pair of skis.\", \"is ripping level tiles off.\", "
                + "\"is holding a rubik's cube.\", \"starts pulling up roofing on a roof. [title] Remove it.\"], \"label\": \"3\"}");
        MultipleChoiceTask.Item item = MultipleChoiceTask.loadJsonl(f).items().getFirst();
        assertEquals("Roof shingle removal: A man is sitting on a roof. He", item.context());
        assertEquals("starts pulling up roofing on a roof.. Remove it.", item.choices().get(3));
        assertEquals(3, item.label());
    }

    @Test
    void readsBothArcLayouts() throws IOException {
        Path f = file("ARC-Easy-Test.jsonl",
                "{\"id\": \"q1\", \"question\": {\"stem\": \"Which is a gas?\", \"choices\": [{\"text\": \"ice\", \"label\": \"A\"}, "
                        + "{\"text\": \"steam\", \"label\": \"B\"}]}, \"answerKey\": \"B\"}",
                "{\"id\": \"q2\", \"question\": \"Which is hot?\", \"choices\": {\"text\": [\"fire\", \"snow\"], \"label\": [\"1\", \"2\"]}, "
                        + "\"answerKey\": \"1\"}");
        List<MultipleChoiceTask.Item> items = MultipleChoiceTask.loadJsonl(f).items();
        assertEquals(new MultipleChoiceTask.Item("Question: Which is a gas?\nAnswer:", List.of("ice", "steam"), 1), items.get(0));
        assertEquals(new MultipleChoiceTask.Item("Question: Which is hot?\nAnswer:", List.of("fire", "snow"), 0), items.get(1));
        String e = errorOf(file("arc-bad.jsonl", "{\"question\": \"q\", \"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"E\"}"));
        assertTrue(e.contains("arc-bad.jsonl:1") && e.contains("answerKey \"E\""), e);
    }

    @Test
    void lastWordFilesRoundTripAndReportBadRows() throws IOException {
        LastWordTask t = new LastWordTask("lw", List.of(new LastWordTask.Item("He saw the whale and the", "whale")));
        Path f = Files.writeString(dir.resolve("lw.jsonl"), t.toJsonl());
        assertEquals(t.items(), LastWordTask.loadJsonl(f).items());
        Path bad = file("lw-bad.jsonl", "{\"context\": \"x\", \"target\": \"y\"}");
        String e = assertThrows(IOException.class, () -> LastWordTask.loadJsonl(bad)).getMessage();
        assertTrue(e.contains("lw-bad.jsonl:1") && e.contains("\"word\""), e);
    }
}
