package minitron4j.model.backend;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.LogitLoss;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static minitron4j.model.FloatAsserts.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distillation as the CPU backend trains it: fixture parity, a resident teacher, copies, the learned projections. */
class CpuDistillationTest {
    private static final AdamWSettings ADAMW = AdamWSettings.of(0.9, 0.95, 1e-8, 0.1);

    static Batch fixtureBatch(SafetensorsFile forward) {
        IntTensor ids = forward.readInts("input_ids");
        return Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);
    }

    /** A batch of random ids, the last row padded to half length. */
    static Batch randomBatch(int vocab, int batch, int seq, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[batch * seq];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(vocab);
        int[] lengths = new int[batch];
        Arrays.fill(lengths, seq);
        lengths[batch - 1] = seq / 2;
        return new Batch(ids, batch, seq, lengths);
    }

    /** HF's kd_loss at tau 2 and every gradient, through the distillation loss's fused rows and the student's backward. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void kdFixturesPassThroughTheDistillationLoss(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron student = new Nemotron(Checkpoint.load(dir).params());
        try (SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile golden = SafetensorsFile.open(dir.resolve("kd_grads.safetensors"))) {
            Batch batch = fixtureBatch(forward);
            float[] teacherLogits = golden.readFloats("teacher_logits").data();
            DistillationLoss loss = DistillationLoss.forwardKl(2);
            Parameters grads = Parameters.zeros(student.config());
            double[] ce = new double[1];
            double kd = student.step(batch, student.trainingActivations(batch.batch(), batch.seq()), grads, (logits, b, vocab) -> {
                DistillationLoss.Values v = loss.lossAndGradient(logits, teacherLogits, b, vocab, 1f);
                ce[0] = v.ceLoss();
                return v.objective();
            });
            double want = golden.readFloats("kd_loss").data()[0], wantCe = forward.readFloats("loss").data()[0];
            assertEquals(want, kd, 1e-5 * want, name + " kd_loss");
            assertEquals(wantCe, ce[0], 1e-5 * wantCe, name + " ce_loss (logged, not trained)");
            for (Tensor g : grads.tensors()) assertCloseToScale(golden.readFloats(g.name()).data(), g.data(), 1e-3, name + " d kd_loss / d " + g.name());
        }
    }

    /**
     * A teacher held by the backend gives the step of its logits handed to the model's own KL step
     * (the kernel path the fixtures test), with padding and a micro-batch weight.
     */
    @Test
    void aResidentTeacherGivesTheStepOfItsLogits() throws IOException {
        Parameters studentParams = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        Parameters teacherParams = Parameters.initialize(studentParams.config(), 1334);
        Batch batch = randomBatch(studentParams.config().vocabSize(), 3, 9, 4);
        Parameters viaBackend = Parameters.zeros(studentParams.config());
        double[] values;
        try (Backend.Session session = new CpuBackend().open(studentParams.copy());
             Backend.Training training = session.training(Loss.Distillation.forwardKl(teacherParams, 2), 3, 9, ADAMW)) {
            assertEquals(List.of("objective", "kd_loss", "ce_loss"), training.metrics());
            training.zeroGradients();
            values = training.accumulate(batch, 0.5f);
            training.readGradients(viaBackend);
        }
        Nemotron teacher = new Nemotron(teacherParams);
        Activations teacherActs = teacher.inferenceActivations(3, 9);
        teacher.forward(batch, teacherActs, null);
        Nemotron student = new Nemotron(studentParams);
        Parameters kernelPath = Parameters.zeros(studentParams.config());
        double kd = student.step(batch, student.trainingActivations(3, 9), kernelPath, LogitLoss.forwardKl(teacherActs.logits(), 2f, 0.5f));
        assertEquals(kd, values[1], 1e-6 * kd);
        assertEquals(values[1], values[0], 0.0, "objective = kd_loss at ce_weight 0");
        for (Tensor t : kernelPath.tensors()) assertCloseToScale(t.data(), viaBackend.data(t.name()), 1e-5, "backend vs the model's KL step: " + t.name());
    }

    /** A student that is a copy of its teacher: zero logit loss, zero intermediate-state loss, zero gradients. */
    @ParameterizedTest
    @EnumSource(value = LogitLossKind.class, names = {"FORWARD_KL", "REVERSE_KL", "MSE", "COSINE"})
    void aCopyOfTheTeacherHasZeroLossAndZeroGradients(LogitLossKind kind) throws IOException {
        Parameters teacherParams = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        Batch batch = randomBatch(teacherParams.config().vocabSize(), 2, 11, 6);
        Loss loss = new Loss.Distillation(teacherParams, new DistillationLoss(kind, 2, 0, 0),
                List.of(new LayerPair(1, 1), new LayerPair(2, 2)), 0);
        try (Backend.Session session = new CpuBackend().open(teacherParams.copy());
             Backend.Training training = session.training(loss, 2, 11, ADAMW)) {
            assertEquals(List.of("objective", kind.metric(), "ce_loss", "is_loss"), training.metrics());
            assertTrue(training.extraParameters().isEmpty(), "equal widths need no projection");
            training.zeroGradients();
            double[] v = training.accumulate(batch, 1f);
            assertEquals(0, v[0], 1e-7, "objective");
            assertEquals(0, v[1], 1e-7, kind.metric());
            assertTrue(v[2] > 1, "ce_loss is the student's real CE: " + v[2]);
            assertEquals(0, v[3], 1e-7, "is_loss");
            assertEquals(0, training.gradientNorm(), 1e-6, "every gradient is 0");
        }
    }

    /**
     * The learned projections of pairs of unequal widths are trained beside the weights: they
     * start from the seed, move with the update, come back through readExtras, and take a
     * restored state before the first step only.
     */
    @Test
    void projectionsTrainBesideTheWeights() {
        NemotronConfig tc = config(16, 3), sc = config(12, 2);
        Parameters teacher = Parameters.initialize(tc, 21), student = Parameters.initialize(sc, 22);
        Loss loss = new Loss.Distillation(teacher, DistillationLoss.forwardKl(1), List.of(new LayerPair(1, 2), new LayerPair(2, 3)), 9);
        Batch batch = randomBatch(tc.vocabSize(), 2, 7, 8);
        try (Backend.Session session = new CpuBackend().open(student);
             Backend.Training training = session.training(loss, 2, 7, ADAMW)) {
            List<Tensor> start = training.extraParameters();
            assertEquals(List.of("distillation.projection.0.weight", "distillation.projection.1.weight"),
                    start.stream().map(Tensor::name).toList());
            assertEquals("[16, 12]", Arrays.toString(start.getFirst().shape()));
            List<Tensor> m = start.stream().map(t -> Tensor.zeros(t.name(), t.shape())).toList();
            List<Tensor> v = start.stream().map(t -> Tensor.zeros(t.name(), t.shape())).toList();
            training.writeExtras(start, m, v);

            training.zeroGradients();
            double[] values = training.accumulate(batch, 1f);
            assertTrue(values[3] > 0.05, "the models differ: is_loss " + values[3]);
            training.update(training.gradientNorm(), 1.0, 1e-2, 1);
            List<Tensor> now = start.stream().map(Tensor::copy).toList(), grads = start.stream().map(Tensor::copy).toList();
            training.readExtras(now, grads, m, v);
            assertNotEquals(start.getFirst().data()[0], now.getFirst().data()[0], "the projection moved");
            assertTrue(Arrays.stream(toDouble(m.getFirst().data())).anyMatch(x -> x != 0), "its first moment is kept");
            assertThrows(IllegalStateException.class, () -> training.writeExtras(start, m, v));
        }
    }

    @Test
    void mismatchedTeachersAndPairsAreRefused() throws IOException {
        Parameters p = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        try (Backend.Session session = new CpuBackend().open(p)) {
            var e = assertThrows(IllegalArgumentException.class, () -> session.training(
                    Loss.Distillation.forwardKl(Parameters.initialize(config(64, 2), 1), 1), 1, 4, ADAMW));
            assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
            var pair = assertThrows(IllegalArgumentException.class, () -> session.training(new Loss.Distillation(p.copy(),
                    DistillationLoss.forwardKl(1), List.of(new LayerPair(3, 2)), 0), 1, 4, ADAMW));
            assertTrue(pair.getMessage().contains("intermediate pair 3:2: student index 3 outside 1..2"), pair.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerPair.parse("2-4")).getMessage().contains("2-4"));
        assertEquals(List.of(new LayerPair(2, 4), new LayerPair(3, 6)), LayerPair.parse("2:4, 3:6"));
    }

    static NemotronConfig config(int hidden, int layers) {
        return new NemotronConfig(29, hidden, 24, layers, 2, 1, 8, 0.5, 10000, 1e-5, 64, false, 2, 3, 0, 0.3, null, null);
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
