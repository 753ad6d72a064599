package minitron4j.distillation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.backend.Loss;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import minitron4j.pruning.PruningTarget;
import minitron4j.training.JsonlLog;
import minitron4j.training.RunFolder;
import minitron4j.model.io.FolderLock;
import minitron4j.training.TinyData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distillation runs end to end on tiny models: KL falls, copies stay at zero, resume is exact, teacher correction. */
class DistillerTest {
    @TempDir
    static Path shared;
    static Path data, teacher;

    /** One teacher for every test: trained 80 steps on the Markov-chain data. */
    @BeforeAll
    static void teacher() throws IOException {
        data = TinyData.write(shared.resolve("data"), 4000, 400);
        teacher = TinyModels.save(TinyModels.trainedTeacher(data, 80), shared.resolve("teacher"));
    }

    static DistillOptions options(int steps) {
        return DistillOptions.defaults(steps).withShape(TinyModels.BATCH, TinyModels.SEQ).withSchedule(3e-3, 2)
                .withIntervals(4, 2, 4).withThreads(2).withSeed(7).withProgressBar(false);
    }

    static List<Map<String, Object>> rows(Path run, String key) throws IOException {
        return JsonlLog.read(run.resolve(RunFolder.LOG)).stream().filter(r -> r.containsKey(key)).toList();
    }

    static double value(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }

    @Test
    void aPrunedStudentsKlToTheTeacherFallsSteadily(@TempDir Path tmp) throws IOException {
        Parameters pruned = TinyModels.pruned(Checkpoint.load(teacher).params(), data,
                PruningTarget.keepAll().withHiddenSize(12).withIntermediateSize(24).withNumLayers(2));
        Path student = TinyModels.save(pruned, tmp.resolve("student")), run = tmp.resolve("run");
        var summary = Distiller.distill(teacher, student, data, options(20), run);

        List<Map<String, Object>> val = rows(run, Distiller.VAL_KD_LOSS);
        assertEquals(List.of(0, 4, 8, 12, 16, 20), val.stream().map(r -> ((Number) r.get("step")).intValue()).toList());
        for (int i = 1; i < val.size(); i++)
            assertTrue(value(val.get(i), Distiller.VAL_KD_LOSS) < value(val.get(i - 1), Distiller.VAL_KD_LOSS),
                    "val_kd_loss falls at every evaluation: " + val);
        double first = value(val.getFirst(), Distiller.VAL_KD_LOSS), last = value(val.getLast(), Distiller.VAL_KD_LOSS);
        assertTrue(last < 0.5 * first, "val_kd_loss " + first + " -> " + last);
        for (Map<String, Object> r : val) {
            assertTrue(r.containsKey("val_ce_loss") && r.containsKey("val_ppl"), r.toString());
            assertEquals(Math.exp(value(r, "val_ce_loss")), value(r, "val_ppl"), 1e-9 * value(r, "val_ppl"));
        }
        List<Map<String, Object>> train = rows(run, "kd_loss");
        assertEquals(20, train.size());
        for (String key : List.of("objective", "kd_loss", "ce_loss", "lr", "grad_norm", "tokens_per_s", "gflops"))
            assertTrue(train.getFirst().containsKey(key), key);
        assertEquals(last, summary.lastValidation().get(Distiller.VAL_KD_LOSS));

        // the result is an ordinary HF checkpoint; config.json records the run
        Parameters distilled = Checkpoint.load(run.resolve("checkpoints/step-20")).params();
        assertEquals(pruned.config().numHiddenLayers(), distilled.config().numHiddenLayers());
        JsonNode config = new ObjectMapper().readTree(run.resolve(RunFolder.CONFIG).toFile());
        assertEquals(teacher.toString(), config.get("teacher").asText());
        assertEquals("forward_kl", config.get("options").get("loss").asText());
        assertTrue(Files.isRegularFile(run.resolve(RunFolder.PLOT)));
    }

    /** Before any update (after one, weight decay moves the copy off its teacher). */
    /** A backend that refuses the loss stops the run before the run folder is created or written. */
    @Test
    void aLossTheBackendRefusesLeavesNothingBehind(@TempDir Path tmp) {
        CpuBackend cpu = new CpuBackend();
        Backend withoutMse = new Backend() {
            @Override
            public String name() {
                return "no-mse";
            }

            @Override
            public String unsupported(Loss loss) {
                return loss instanceof Loss.Distillation d && d.logitLoss().kind() == LogitLossKind.MSE ? "the mse loss is not here" : null;
            }

            @Override
            public Session open(Parameters params) {
                return cpu.open(params);
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Distiller.distill(teacher, teacher, data,
                options(2).withLoss(LogitLossKind.MSE, 1, 0, 0.5), tmp.resolve("refused"), false, row -> {}, withoutMse));
        assertEquals("--backend no-mse: the mse loss is not here", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("refused")), "nothing written for a refused loss");
    }

    @Test
    void aRunFolderInUseIsRefusedAndLeftAlone(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        try (FolderLock held = FolderLock.inside(run, "distill")) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Distiller.distill(teacher, teacher, data, options(2), run));
            assertTrue(e.getMessage().contains("is being written by another process"), e.getMessage());
            assertFalse(Files.exists(run.resolve(RunFolder.CONFIG)), "nothing written beside the owner's run");
        }
    }

    @Test
    void aCopyOfTheTeacherStartsAtZero(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        Distiller.distill(teacher, teacher, data, options(1), run);
        Map<String, Object> first = rows(run, "kd_loss").getFirst();
        assertEquals(0, value(first, "kd_loss"), 1e-7, first.toString());
        assertEquals(0, value(first, "grad_norm"), 1e-7, first.toString());
        assertEquals(0, value(rows(run, Distiller.VAL_KD_LOSS).getFirst(), Distiller.VAL_KD_LOSS), 1e-7);
    }

    /** A narrower student with the intermediate-state loss: its projections are trained and checkpointed too. */
    static DistillOptions resumeOptions(int steps) {
        return options(steps).withIntervals(3, 1, 2).withIntermediatePairs(LayerPair.parse("1:1,2:3"));
    }

    /**
     * The training module's resume test for distillation: a run in its own JVM is SIGKILLed part
     * way, resumed, and every logged value must equal, bit for bit, those of an uninterrupted run.
     */
    @Test
    void resumeAfterSigkillReproducesTheUninterruptedRun(@TempDir Path tmp) throws Exception {
        NemotronConfig narrow = TinyModels.teacherConfig().withShape(12, 2, 1, 24, 2);
        Path student = TinyModels.save(Parameters.initialize(narrow, 3), tmp.resolve("student"));
        int steps = 10;
        Path killed = tmp.resolve("killed");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), DistillResumeChild.class.getName(),
                teacher.toString(), student.toString(), data.toString(), killed.toString(), Integer.toString(steps), "150")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (lastStep(killed) < 5) {
            assertTrue(child.isAlive(), "the child ended early: " + Files.readString(tmp.resolve("child.log")));
            assertTrue(System.nanoTime() < deadline, "the child made no progress: " + Files.readString(tmp.resolve("child.log")));
            Thread.sleep(20);
        }
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
        assertTrue(lastStep(killed) < steps, "killed before the end");
        assertFalse(Files.exists(killed.resolve("checkpoints/step-" + steps)));
        assertTrue(Files.isRegularFile(killed.resolve("checkpoints/step-4/" + RunFolder.EXTRA_PARAMETERS)),
                "the projections are checkpointed");

        Distiller.distill(null, null, null, null, killed, true, row -> {});
        Path straight = tmp.resolve("straight");
        Distiller.distill(teacher, student, data, resumeOptions(steps), straight);
        List<String> expected = lines(straight), resumed = lines(killed);
        assertEquals(steps + 5, expected.size(), "10 training rows and validations at 0, 3, 6, 9, 10");
        assertEquals(expected, resumed);
    }

    static int lastStep(Path run) throws IOException {
        if (!Files.exists(run.resolve(RunFolder.LOG))) return 0;
        List<Map<String, Object>> r = rows(run, "kd_loss");
        return r.isEmpty() ? 0 : ((Number) r.getLast().get("step")).intValue();
    }

    /** Every logged value that depends on the weights, as text (shortest round-trip form: equal text = equal bits). */
    static List<String> lines(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> r : JsonlLog.read(run.resolve(RunFolder.LOG)))
            out.add(r.get("step") + " " + r.get("objective") + " " + r.get("kd_loss") + " " + r.get("is_loss") + " "
                    + r.get("lr") + " " + r.get("grad_norm") + " " + r.get("val_kd_loss") + " " + r.get("val_ce_loss"));
        return out;
    }

    @Test
    void aRunFolderIsNotOverwrittenAndAResumeMustAgree(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        Distiller.distill(teacher, teacher, data, options(2), run);
        var again = assertThrows(IllegalStateException.class, () -> Distiller.distill(teacher, teacher, data, options(2), run));
        assertTrue(again.getMessage().contains("already holds a run"), again.getMessage());
        var differs = assertThrows(IllegalArgumentException.class, () -> Distiller.distill(teacher, teacher, data,
                options(2).withLoss(LogitLossKind.REVERSE_KL, 2, 0, 0), run, true, row -> {}));
        assertTrue(differs.getMessage().contains(" loss tau"), differs.getMessage());
    }

    /** Teacher correction fine-tunes the teacher through the Trainer; distillation then reads the corrected checkpoint. */
    @Test
    void aCorrectedTeacherIsAnHfCheckpointToDistilFrom(@TempDir Path tmp) throws IOException {
        Path corrected = Distiller.correctTeacher(teacher, data, 4, Distiller.correctionLr(1e-2), options(4), tmp.resolve("correction"),
                new CpuBackend());
        assertEquals(tmp.resolve("correction/checkpoints/step-4"), corrected);
        Parameters before = Checkpoint.load(teacher).params(), after = Checkpoint.load(corrected).params();
        assertFalse(java.util.Arrays.equals(before.embedding(), after.embedding()), "the teacher was fine-tuned");
        Path run = tmp.resolve("run");
        Distiller.distill(corrected, teacher, data, options(2), run);
        assertTrue(value(rows(run, "kd_loss").getFirst(), "kd_loss") > 0, "the student now differs from its teacher");
    }
}
