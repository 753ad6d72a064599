package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;
import minitron4j.model.tokenizer.ByteTokenizer;
import minitron4j.training.task.TaskFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static minitron4j.experiments.cli.CommandLineTest.lastLine;
import static minitron4j.experiments.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** finetune, classify, qa, tag and forward on the model card's other classes, in-process, on a tiny byte-level model. */
class TaskCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    Path lm() throws Exception {
        return TaskFixtures.byteLm(tmp.resolve("lm"));
    }

    Path lines(String name, List<String> lines) throws Exception {
        Path f = tmp.resolve(name);
        Files.write(f, lines, StandardCharsets.UTF_8);
        return f;
    }

    Path letters(String name, int n, long seed) throws Exception {
        return TaskFixtures.letters(tmp.resolve(name), n, seed);
    }

    JsonNode finetune(String task, Path data, int steps) throws Exception {
        CommandLineTest.Run r = run("finetune", "--task", task, "--model", lm().toString(), "--data", data.toString(), "--val", data.toString(),
                "--out", tmp.resolve(task).toString(), "--steps", Integer.toString(steps), "--batch", "4", "--seq-len", "32",
                "--lr", "3e-3", "--eval-interval", "0", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        return JSON.readTree(lastLine(r.out()));
    }

    @Test
    void finetuneThenClassifyAndForwardTheSequenceClassifier() throws Exception {
        JsonNode done = finetune("sequence-classification", letters("train.jsonl", 64, 1), 24);
        String model = done.get("checkpoint").asText();
        CommandLineTest.Run c = run("classify", "--model", model, "--input", letters("val.jsonl", 20, 2).toString(), "--text", "xxxxx");
        assertEquals(0, c.code(), c.err());
        JsonNode result = JSON.readTree(lastLine(c.out()));
        assertTrue(result.get("accuracy").asDouble() >= 0.9, result.toString());
        assertEquals("x", result.get("predictions").get(0).get("label").asText());

        // forward: pooled logits [B, num_labels] and HF's loss when labels are given
        Path in = tmp.resolve("in.safetensors"), out = tmp.resolve("out.safetensors");
        int pad = NemotronConfig.load(Path.of(model)).padTokenId();
        new SafetensorsWriter().add("input_ids", new IntTensor(new int[]{2, 4}, new int[]{'x', 'x', 'x', pad, 'y', 'y', 'y', 'y'}))
                .add("attention_mask", new IntTensor(new int[]{2, 4}, new int[]{1, 1, 1, 0, 1, 1, 1, 1}))
                .add("labels", new IntTensor(new int[]{2}, new int[]{0, 1})).write(in);
        CommandLineTest.Run f = run("forward", "--model", model, "--input", in.toString(), "--out", out.toString());
        assertEquals(0, f.code(), f.err());
        try (SafetensorsFile s = SafetensorsFile.open(out)) {
            Tensor logits = s.readFloats("logits");
            assertArrayEquals(new int[]{2, 2}, logits.shape());
            assertTrue(logits.data()[0] > logits.data()[1] && logits.data()[3] > logits.data()[2], "xxx is x, yyyy is y");
            assertTrue(s.readFloats("loss").data()[0] < 0.5f);
        }
    }

    @Test
    void qaAndTagAnswerFromTheirFineTunedHeads() throws Exception {
        Path qa = lines("qa.jsonl", List.of("{\"question\": \"who?\", \"context\": \"it was bob\", \"answer\": \"bob\", \"answer_start\": 7}"));
        String qaModel = finetune("question-answering", qa, 30).get("checkpoint").asText();
        CommandLineTest.Run a = run("qa", "--model", qaModel, "--question", "who?", "--context", "it was bob");
        assertEquals(0, a.code(), a.err());
        assertEquals("bob", JSON.readTree(lastLine(a.out())).get("answers").get(0).get("answer").asText());

        Path tags = lines("tags.jsonl", List.of("{\"tokens\": [\"aa\", \"bb\", \"aa\"], \"tags\": [\"A\", \"B\", \"A\"]}"));
        String tagModel = finetune("token-classification", tags, 30).get("checkpoint").asText();
        CommandLineTest.Run t = run("tag", "--model", tagModel, "--input", tags.toString());
        assertEquals(0, t.code(), t.err());
        assertEquals(1.0, JSON.readTree(lastLine(t.out())).get("accuracy").asDouble(), t.out());
        CommandLineTest.Run wrong = run("classify", "--model", tagModel, "--text", "aa");
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("NemotronForTokenClassification"), wrong.err());
    }

    @Test
    void forwardOfTheBaseModelWritesItsLastHiddenState() throws Exception {
        NemotronConfig c = NemotronConfig.of(ByteTokenizer.VOCAB_SIZE, 16, 24, 2, 2, 1, 8, false)
                .withHead(new HeadSpec(Architecture.BASE, HeadSpec.defaultLabels(2), null));
        Path model = tmp.resolve("base");
        Checkpoint.save(model, c, Parameters.initialize(c, 2), Dtype.F32);
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            assertTrue(f.names().contains("embed_tokens.weight") && f.names().stream().noneMatch(n -> n.startsWith("model.")), f.names().toString());
        }
        Path in = tmp.resolve("in.safetensors"), out = tmp.resolve("out.safetensors");
        new SafetensorsWriter().add("input_ids", new IntTensor(new int[]{1, 3}, new int[]{5, 6, 7})).write(in);
        CommandLineTest.Run f = run("forward", "--model", model.toString(), "--input", in.toString(), "--out", out.toString());
        assertEquals(0, f.code(), f.err());
        try (SafetensorsFile s = SafetensorsFile.open(out)) {
            assertArrayEquals(s.readFloats("hidden_states.2").data(), s.readFloats("last_hidden_state").data());
            assertTrue(!s.names().contains("logits") && !s.names().contains("loss"), s.names().toString());
        }
    }
}
