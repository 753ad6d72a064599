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

    /** Runs a command in-process; err holds what it printed on stderr, the error handler's line included. */
    static Run run(String... args) {
        StringWriter err = new StringWriter();
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), stderr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(stderr, true));
        try {
            var cl = Minitron4j.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(), stderr + err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
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

    @Test
    void helpWorksOnEverySubcommandAndNoCommandIsAUsageError() {
        for (String command : new String[]{"train", "init", "generate", "distill", "demo"}) {
            for (String flag : new String[]{"--help", "-h"}) {
                Run r = run(command, flag);
                assertEquals(0, r.code(), command + " " + flag + ": " + r.err());
                assertTrue(r.out().contains("Usage: minitron4j " + command), command + " " + flag + ": " + r.out());
            }
        }
        Run viaHelp = run("help", "prune");
        assertEquals(0, viaHelp.code(), viaHelp.err());
        assertTrue(viaHelp.out().contains("Usage: minitron4j prune"), viaHelp.out());
        Run none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("Usage: minitron4j"), none.err());
    }

    @Test
    void zeroThreadsIsAUsageErrorNamingTheOption() {
        Run r = run("generate", "--model", "x", "--prompt-ids", "1", "--max-new-tokens", "1", "--threads", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--threads must be >= 1, got 0"), r.err());
        assertTrue(!r.err().contains("Could not invoke"), r.err());
    }

    @Test
    void aHugeMaxNewTokensStopsAtTheContextWithANotice() {
        Path fx = Fixtures.hfNemotron("tiny-gqa"); // max_position_embeddings 128
        Run r = run("generate", "--model", fx.toString(), "--prompt-ids", "5,17,9", "--max-new-tokens", "2147483645",
                "--ignore-eos", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("stopped at max_position_embeddings 128 after 125 new tokens (--max-new-tokens 2147483645)"), r.err());
        assertEquals(128, lastLine(r.out()).split(",").length, lastLine(r.out()));
        Run fits = run("generate", "--model", fx.toString(), "--prompt-ids", "5,17,9", "--max-new-tokens", "4", "--ignore-eos");
        assertTrue(!fits.err().contains("stopped at"), fits.err());
    }

    @Test
    void anOutputThatIsOrHoldsAnInputIsRefusedAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("m");
        java.nio.file.Files.createDirectories(model);
        try (var files = java.nio.file.Files.list(Fixtures.hfNemotron("tiny-gqa"))) {
            for (Path f : files.toList()) java.nio.file.Files.copy(f, model.resolve(f.getFileName()));
        }
        Path link = java.nio.file.Files.createSymbolicLink(tmp.resolve("link"), model);
        byte[] weights = java.nio.file.Files.readAllBytes(model.resolve("model.safetensors"));
        byte[] input = java.nio.file.Files.readAllBytes(model.resolve("forward.safetensors"));
        String[][] refused = {
            {"convert", "--model", model.toString(), "--out", model.toString(), "--dtype", "bf16"},
            {"convert", "--model", model.toString(), "--out", link.toString(), "--dtype", "bf16"},
            {"convert", "--model", model.toString(), "--out", tmp.toString(), "--dtype", "bf16"},
            {"forward", "--model", model.toString(), "--input", model.resolve("forward.safetensors").toString(),
                    "--out", link.resolve("forward.safetensors").toString()},
            {"prune", "--model", model.toString(), "--random", "--seed", "1", "--hidden-size", "16", "--out", link.toString()},
        };
        for (String[] args : refused) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains("writing it would destroy what is being read"), r.err());
        }
        assertTrue(Arrays.equals(weights, java.nio.file.Files.readAllBytes(model.resolve("model.safetensors"))), "weights intact");
        assertTrue(Arrays.equals(input, java.nio.file.Files.readAllBytes(model.resolve("forward.safetensors"))), "input intact");
        assertTrue(java.nio.file.Files.isSymbolicLink(link), "the link is left alone");
    }

    @Test
    void nonFiniteWeightsAreRefusedOnLoadUnlessAllowed(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("m");
        minitron4j.model.io.Checkpoint.LoadedModel loaded = minitron4j.model.io.Checkpoint.load(Fixtures.hfNemotron("tiny-gqa"));
        loaded.params().data("model.layers.1.mlp.up_proj.weight")[37] = Float.NaN;
        minitron4j.model.io.Checkpoint.save(model, loaded.config(), loaded.params(), minitron4j.model.io.Dtype.BF16);
        Run r = run("generate", "--model", model.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("model.layers.1.mlp.up_proj.weight[37] = NaN is not finite") && r.err().contains("--allow-nonfinite"), r.err());
        try {
            Run allowed = run("generate", "--allow-nonfinite", "--model", model.toString(), "--prompt-ids", "1,2", "--max-new-tokens", "2");
            assertEquals(0, allowed.code(), allowed.err());
        } finally {
            System.clearProperty(minitron4j.model.io.Checkpoint.ALLOW_NONFINITE);
        }
    }

    @Test
    void verboseShowsTheTraceAndOnlyOurOwnBugsAreInternal(@TempDir Path tmp) {
        Run quiet = run("info", "--model", tmp.toString());
        assertEquals(2, quiet.code());
        assertTrue(!quiet.err().contains("\tat "), quiet.err());
        Run verbose = run("info", "--verbose", "--model", tmp.toString());
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat minitron4j."), verbose.err());

        assertTrue(Minitron4j.isUserError(new IllegalArgumentException("bad value")));
        assertTrue(Minitron4j.isUserError(new java.nio.file.NoSuchFileException("x")));
        assertTrue(!Minitron4j.isUserError(new NullPointerException("oops")));
        assertEquals("NullPointerException: oops", Minitron4j.describe(new NullPointerException("oops")));
        assertEquals("bad value", Minitron4j.describe(new IllegalArgumentException("bad value")));
    }

    @Test
    void noPredictedPositionGivesHfsNaNLossAndBrokenTextIsRefused(@TempDir Path tmp) throws Exception {
        Path input = tmp.resolve("masked.safetensors"), out = tmp.resolve("out.safetensors");
        new minitron4j.model.io.SafetensorsWriter()
                .add("input_ids", new minitron4j.model.io.IntTensor(new int[]{2, 3}, new int[]{5, 6, 7, 8, 9, 10}))
                .add("attention_mask", new minitron4j.model.io.IntTensor(new int[]{2, 3}, new int[]{1, 0, 0, 0, 0, 0}))
                .write(input);
        Run r = run("forward", "--model", Fixtures.hfNemotron("tiny-gqa").toString(), "--input", input.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("loss is NaN, as HF gives it"), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertTrue(Float.isNaN(f.readFloats("loss").data()[0]));
        }
        Run broken = run("tokenize", "--tokenizer", Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json").toString(),
                "--text", "ab\uFFFDcd");
        assertEquals(2, broken.code());
        assertTrue(broken.err().contains("--text holds U+FFFD"), broken.err());
    }
}
