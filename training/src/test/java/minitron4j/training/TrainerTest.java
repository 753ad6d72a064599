package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.AdamWSettings;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    static final TrainOptions QUIET = TrainOptions.defaults().withProgressBar(false);

    /** A tiny model on the Markov-chain data, 2 threads. */
    static ObjectNode spec(Path data, int steps) {
        ObjectNode o = RunFolder.JSON.createObjectNode();
        ObjectNode m = o.putObject("model");
        m.put("hidden_size", 16);
        m.put("intermediate_size", 32);
        m.put("num_hidden_layers", 2);
        m.put("num_attention_heads", 2);
        m.put("num_key_value_heads", 1);
        m.put("head_dim", 8);
        m.put("max_position_embeddings", 64);
        o.put("data", data.toString());
        o.put("steps", steps);
        o.put("batch", 4);
        o.put("seq_len", 16);
        o.put("lr", 1e-2);
        o.put("warmup", 3);
        o.put("eval_interval", 5);
        o.put("eval_batches", 2);
        o.put("checkpoint_interval", 2);
        o.put("threads", 2);
        o.put("seed", 11);
        return o;
    }

    static List<Map<String, Object>> trainingRows(Path run) throws IOException {
        return JsonlLog.read(run.resolve(RunFolder.LOG)).stream().filter(r -> r.containsKey("ce_loss")).toList();
    }

    static List<Map<String, Object>> validationRows(Path run) throws IOException {
        return JsonlLog.read(run.resolve(RunFolder.LOG)).stream().filter(r -> r.containsKey("val_ce_loss")).toList();
    }

    @Test
    void lossFallsAndTheRunFolderIsComplete(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400), run = tmp.resolve("run");
        TrainingSummary s = Trainer.run(TrainSpec.fromJson(spec(data, 30)), run, false, QUIET);

        List<Map<String, Object>> rows = trainingRows(run);
        assertEquals(30, rows.size());
        double first = ((Number) rows.getFirst().get("ce_loss")).doubleValue();
        double last = rows.subList(25, 30).stream().mapToDouble(r -> ((Number) r.get("ce_loss")).doubleValue()).average().orElseThrow();
        assertTrue(first > 3.0 && last < first - 1.0, "ce_loss " + first + " -> " + last);
        for (String key : List.of("step", "ce_loss", "lr", "grad_norm", "tokens_per_s", "gflops"))
            assertTrue(rows.getFirst().containsKey(key), key);
        List<Map<String, Object>> val = validationRows(run);
        assertEquals(List.of(0, 5, 10, 15, 20, 25, 30), val.stream().map(r -> ((Number) r.get("step")).intValue()).toList());
        double val0 = ((Number) val.getFirst().get("val_ce_loss")).doubleValue();
        double valEnd = ((Number) val.getLast().get("val_ce_loss")).doubleValue();
        assertTrue(valEnd < val0 - 1.0, "val_ce_loss " + val0 + " -> " + valEnd);
        assertEquals(Math.exp(valEnd), ((Number) val.getLast().get("val_ppl")).doubleValue(), 1e-9 * Math.exp(valEnd));
        assertEquals(valEnd, s.lastValidation().get("val_ce_loss"));
        assertTrue(s.tokensPerSecond() > 0 && s.gflopsPerSecond() > 0);

        for (String f : List.of(RunFolder.CONFIG, RunFolder.MANIFEST, RunFolder.LOG, RunFolder.PLOT, RunFolder.LATEST))
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        assertEquals("step-30", Files.readString(run.resolve(RunFolder.LATEST)).strip());
        assertCompleteCheckpoints(run);
        JsonNode manifest = RunFolder.JSON.readTree(run.resolve(RunFolder.MANIFEST).toFile());
        assertEquals("finished", manifest.get("status").asText());
        assertEquals(2, manifest.get("threads").asInt());
        assertEquals(11, manifest.get("seed").asLong());
        assertFalse(manifest.get("end_time").isNull());
        byte[] png = Files.readAllBytes(run.resolve(RunFolder.PLOT));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);

        // the final checkpoint is an ordinary model checkpoint whose validation loss matches the log
        Parameters trained = Checkpoint.load(run.resolve("checkpoints/step-30")).params();
        try (TokenData d = TokenData.open(data)) {
            Evaluator.Result r = new Evaluator(new CpuBackend().open(trained), 16, 4).evaluate(d.val(), 2);
            assertEquals(valEnd, r.ceLoss(), 0.0);
        }
    }

    @Test
    void gradientAccumulationMatchesOneLargeBatch(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400);
        ObjectNode big = spec(data, 4).put("batch", 8).put("eval_interval", 0);
        ObjectNode accumulated = spec(data, 4).put("batch", 4).put("grad_accum", 2).put("eval_interval", 0);
        Trainer.run(TrainSpec.fromJson(big), tmp.resolve("big"), false, QUIET);
        Trainer.run(TrainSpec.fromJson(accumulated), tmp.resolve("acc"), false, QUIET);
        List<Map<String, Object>> a = trainingRows(tmp.resolve("big")), b = trainingRows(tmp.resolve("acc"));
        for (int i = 0; i < 4; i++) {
            double la = ((Number) a.get(i).get("ce_loss")).doubleValue(), lb = ((Number) b.get(i).get("ce_loss")).doubleValue();
            assertEquals(la, lb, 1e-5 * la, "step " + (i + 1));
            double ga = ((Number) a.get(i).get("grad_norm")).doubleValue(), gb = ((Number) b.get(i).get("grad_norm")).doubleValue();
            assertEquals(ga, gb, 1e-4 * ga, "grad_norm at step " + (i + 1));
        }
    }

    /**
     * The resume test: a run in its own JVM is SIGKILLed part way, resumed from its latest
     * checkpoint, and every logged loss must equal, bit for bit, those of an uninterrupted run.
     */
    @Test
    void resumeAfterSigkillReproducesTheUninterruptedRun(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400);
        int steps = 12;
        ObjectNode json = spec(data, steps).put("eval_interval", 3);
        Path specFile = tmp.resolve("spec.json");
        RunFolder.JSON.writeValue(specFile.toFile(), json);

        Path killed = tmp.resolve("killed");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), ResumeChild.class.getName(),
                specFile.toString(), killed.toString(), "150")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lastTrainingStep(killed) < 5) {
            assertTrue(child.isAlive(), "the child ended early: " + Files.readString(tmp.resolve("child.log")));
            assertTrue(System.nanoTime() < deadline, "the child made no progress: " + Files.readString(tmp.resolve("child.log")));
            Thread.sleep(20);
        }
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
        child.waitFor(30, TimeUnit.SECONDS);
        int stoppedAt = lastTrainingStep(killed);
        assertTrue(stoppedAt < steps, "killed before the end, at step " + stoppedAt);
        assertFalse(Files.exists(killed.resolve("checkpoints/step-" + steps)));
        assertCompleteCheckpoints(killed);
        // what a kill during a checkpoint write leaves: the resume removes it
        Path leftover = Files.createDirectories(killed.resolve(RunFolder.CHECKPOINTS).resolve(".step-" + steps + ".tmp-" + java.util.UUID.randomUUID()));
        Files.writeString(leftover.resolve(RunFolder.OPTIMIZER), "half written");

        Trainer.run(null, killed, true, QUIET);
        assertFalse(Files.exists(leftover), "the interrupted write's temporary folder is removed on resume");
        Path straight = tmp.resolve("straight");
        Trainer.run(TrainSpec.fromJson(json), straight, false, QUIET);

        List<String> expected = lossLines(straight), resumed = lossLines(killed);
        assertEquals(steps + 5, expected.size(), "12 training rows and validations at 0, 3, 6, 9, 12");
        assertEquals(expected, resumed);
        JsonNode manifest = RunFolder.JSON.readTree(killed.resolve(RunFolder.MANIFEST).toFile());
        assertEquals("finished", manifest.get("status").asText());
        assertEquals(1, manifest.get("resumes").size());
    }

    /** step, losses, lr and grad norm of every row, as text (shortest round-trip form, so equal text = equal bits). */
    static List<String> lossLines(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> r : JsonlLog.read(run.resolve(RunFolder.LOG)))
            out.add(r.get("step") + " " + r.get("ce_loss") + " " + r.get("lr") + " " + r.get("grad_norm") + " " + r.get("val_ce_loss"));
        return out;
    }

    static int lastTrainingStep(Path run) throws IOException {
        List<Map<String, Object>> rows = trainingRows(run);
        return rows.isEmpty() ? 0 : ((Number) rows.getLast().get("step")).intValue();
    }

    /** Every step-N folder holds a complete checkpoint; nothing but complete ones and the latest pointer. */
    static void assertCompleteCheckpoints(Path run) throws IOException {
        try (Stream<Path> s = Files.list(run.resolve(RunFolder.CHECKPOINTS))) {
            for (Path ckpt : s.filter(p -> p.getFileName().toString().startsWith("step-")).toList())
                for (String f : List.of("config.json", "model.safetensors", RunFolder.OPTIMIZER, RunFolder.STATE, TokenData.TOKENIZER))
                    assertTrue(Files.isRegularFile(ckpt.resolve(f)), ckpt + " lacks " + f);
        }
        int latest = new RunFolder(run).latestStep().orElseThrow();
        assertTrue(Files.isDirectory(run.resolve("checkpoints/step-" + latest)));
    }

    @Test
    void nanInAParameterStopsWithTheStepAndTensorAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400), run = tmp.resolve("run");
        String poisoned = "model.layers.1.mlp.up_proj.weight";
        TrainOptions poison = QUIET.withBackend(new FaultyBackend(5, FaultyBackend.Where.WEIGHT, poisoned, 3, Float.NaN));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> Trainer.run(TrainSpec.fromJson(spec(data, 10)), run, false, poison));
        assertEquals(5, e.step());
        assertTrue(e.getMessage().startsWith("step 5: ce_loss is NaN; parameter " + poisoned + "[3] = NaN"), e.getMessage());
        assertEquals(run.resolve("checkpoints/step-4"), e.lastCheckpoint());
        assertTrue(e.getMessage().contains("checkpoints/step-4"), e.getMessage());

        assertEquals(4, new RunFolder(run).latestStep().orElseThrow());
        assertFalse(Files.exists(run.resolve("checkpoints/step-5")));
        assertCompleteCheckpoints(run);
        Parameters kept = Checkpoint.load(run.resolve("checkpoints/step-4")).params();
        assertNull(kept.firstNonFinite(), "the kept checkpoint is finite");
        List<Map<String, Object>> log = JsonlLog.read(run.resolve(RunFolder.LOG));
        assertEquals(e.getMessage(), log.getLast().get("error"));
        assertEquals("diverged", RunFolder.JSON.readTree(run.resolve(RunFolder.MANIFEST).toFile()).get("status").asText());
    }

    @Test
    void infiniteGradientIsNamed(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400), run = tmp.resolve("run");
        TrainOptions poison = QUIET.withBackend(new FaultyBackend(3, FaultyBackend.Where.GRADIENT, Parameters.NORM_W, 2,
                Float.POSITIVE_INFINITY));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> Trainer.run(TrainSpec.fromJson(spec(data, 10)), run, false, poison));
        assertEquals(3, e.step());
        assertTrue(e.getMessage().contains("gradient model.norm.weight[2] = Infinity"), e.getMessage());
        assertEquals(2, new RunFolder(run).latestStep().orElseThrow());
    }

    @Test
    void aCheckpointThatFailsHalfWayLeavesNoStepFolder(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400), run = tmp.resolve("run");
        Trainer.run(TrainSpec.fromJson(spec(data, 2)), run, false, QUIET);
        RunFolder folder = new RunFolder(run);
        Parameters params = Checkpoint.load(run.resolve("checkpoints/step-2")).params();
        OptimizerState opt = new OptimizerState(params, AdamWSettings.of(0.9, 0.95, 1e-8, 0.1));
        // the weights and optimizer are written, then copying a missing file fails
        assertThrows(IOException.class, () -> folder.writeCheckpoint(new TrainingState(3, new WindowSampler.State(11, 99)),
                params, opt, List.of(tmp.resolve("missing.json"))));
        assertFalse(Files.exists(run.resolve("checkpoints/step-3")));
        try (Stream<Path> s = Files.list(run.resolve(RunFolder.CHECKPOINTS))) {
            assertEquals(List.of("step-2"), s.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left behind");
        }
        assertEquals(2, folder.latestStep().orElseThrow());
    }

    @Test
    void aRunFolderIsNotOverwrittenAndAResumedSpecMustAgree(@TempDir Path tmp) throws Exception {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400), run = tmp.resolve("run");
        Trainer.run(TrainSpec.fromJson(spec(data, 2)), run, false, QUIET);
        var again = assertThrows(IllegalStateException.class, () -> Trainer.run(TrainSpec.fromJson(spec(data, 2)), run, false, QUIET));
        assertTrue(again.getMessage().contains("already holds a run"), again.getMessage());
        var differs = assertThrows(IllegalArgumentException.class,
                () -> Trainer.run(TrainSpec.fromJson(spec(data, 2).put("lr", 1e-3)), run, true, QUIET));
        assertTrue(differs.getMessage().contains("[lr, min_lr]"), differs.getMessage());
    }
}
