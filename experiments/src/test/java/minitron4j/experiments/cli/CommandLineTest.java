package minitron4j.experiments.cli;

import minitron4j.model.Fixtures;
import minitron4j.model.Tensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands users and checks call, run in-process on the HF fixtures. */
class CommandLineTest {

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            var cl = Minitron4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void forwardWritesHfLogitsLossAndHiddenStates(@TempDir Path tmp) throws Exception {
        Path fx = Fixtures.hfNemotron("tiny-mqa-tied");
        Path out = tmp.resolve("out.safetensors");
        Run r = run("forward", "--model", fx.toString(), "--input", fx.resolve("forward.safetensors").toString(),
                "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out);
             SafetensorsFile want = SafetensorsFile.open(fx.resolve("forward.safetensors"))) {
            // every hidden state HF wrote: the embeddings, each layer's output, the final norm's
            java.util.List<String> names = new java.util.ArrayList<>(want.names().stream().filter(n -> n.startsWith("hidden_states.")).toList());
            assertTrue(names.size() >= 3, names.toString());
            assertEquals(names.size(), got.names().stream().filter(n -> n.startsWith("hidden_states.")).count());
            names.add("logits");
            for (String name : names) {
                Tensor a = want.readFloats(name), b = got.readFloats(name);
                assertEquals(a.shapeString(), b.shapeString(), name);
                for (int i = 0; i < a.size(); i++) assertEquals(a.data()[i], b.data()[i], 1e-4, name + "[" + i + "]");
            }
            float loss = want.readFloats("loss").data()[0];
            assertEquals(loss, got.readFloats("loss").data()[0], 1e-5 * loss);
        }
    }

    @Test
    void gradsInKdModeWritesKdLossAndEveryGradient(@TempDir Path tmp) throws Exception {
        Path fx = Fixtures.hfNemotron("tiny-gqa");
        Path out = tmp.resolve("g.safetensors");
        Run r = run("grads", "--model", fx.toString(), "--input", fx.resolve("forward.safetensors").toString(),
                "--teacher-logits", fx.resolve("kd_grads.safetensors").toString(), "--temperature", "2",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out);
             SafetensorsFile want = SafetensorsFile.open(fx.resolve("kd_grads.safetensors"))) {
            float kd = want.readFloats("kd_loss").data()[0];
            assertEquals(kd, got.readFloats("kd_loss").data()[0], 1e-5 * kd);
            assertEquals(want.names().size() - 1, got.names().size()); // teacher_logits is input only
            assertTrue(got.contains("model.layers.1.mlp.down_proj.weight"));
        }
    }

    @Test
    void generateJsonIsTheLastStdoutLine() {
        Path fx = Fixtures.hfNemotron("tiny-gqa");
        Run r = run("generate", "--model", fx.toString(), "--prompt-ids", "5,17,9", "--max-new-tokens", "4", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(lastLine(r.out()).matches("\\{\"ids\":\\[5,17,9(,\\d+){4}]}"), r.out());
    }

    @Test
    void generateOnTheCpuBackendGivesHfGreedyIds() throws Exception {
        Path fx = Fixtures.hfNemotron("tiny-gqa");
        int[] prompt, expected;
        try (SafetensorsFile golden = SafetensorsFile.open(fx.resolve("generate.safetensors"))) {
            prompt = golden.readInts("prompt").data();
            expected = golden.readInts("generated").data();
        }
        String promptIds = Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(","));
        String want = Arrays.stream(expected).mapToObj(Integer::toString).collect(Collectors.joining(",", "{\"ids\":[", "]}"));
        String newTokens = Integer.toString(expected.length - prompt.length);
        Run cpu = run("generate", "--model", fx.toString(), "--prompt-ids", promptIds, "--max-new-tokens", newTokens,
                "--ignore-eos", "--json", "--backend", "cpu");
        assertEquals(0, cpu.code(), cpu.err());
        assertEquals(want, lastLine(cpu.out()));
        Run byDefault = run("generate", "--model", fx.toString(), "--prompt-ids", promptIds, "--max-new-tokens", newTokens,
                "--ignore-eos", "--json");
        assertEquals(want, lastLine(byDefault.out()), byDefault.err());
    }

    @Test
    void generateOnTheTornadoBackendWithoutTornadoVmSaysHowToGetIt() {
        Path fx = Fixtures.hfNemotron("tiny-gqa");
        Run r = run("generate", "--model", fx.toString(), "--prompt-ids", "5,17", "--max-new-tokens", "2", "--backend", "tornado");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--backend tornado needs the TornadoVM backend"), r.err());
    }

    @Test
    void tokenizeRoundTripsThroughIds() {
        Path tok = Fixtures.hfTokenizers("spbpe").resolve("tokenizer.json");
        Run enc = run("tokenize", "--tokenizer", tok.toString(), "--text", "Hello world", "--json");
        assertEquals(0, enc.code(), enc.err());
        String ids = lastLine(enc.out()).replaceAll("[^0-9,]", "");
        Run dec = run("tokenize", "--tokenizer", tok.toString(), "--ids", ids, "--json");
        assertEquals("{\"text\":\"<s> Hello world\"}", lastLine(dec.out()));
    }

    @Test
    void badInputIsReportedWithoutAStackTrace(@TempDir Path tmp) {
        Run r = run("info", "--model", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("minitron4j info: ") && r.err().contains("config.json"), r.err());
        assertTrue(!r.err().contains("\tat "), r.err());
    }
}
