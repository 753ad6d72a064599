package minitron4j.distillation;

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
import minitron4j.training.TrainableTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The distillation step as the training loop calls it: fixture parity, a real teacher, copies, the intermediate-state loss. */
class DistillationObjectiveTest {

    static Batch fixtureBatch(SafetensorsFile forward) {
        IntTensor ids = forward.readInts("input_ids");
        return Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);
    }

    /** HF's kd_loss at tau 2 and every gradient, through DistillationObjective with the fixture's teacher logits. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void kdFixturesPassThroughTheObjective(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron student = new Nemotron(Checkpoint.load(dir).params());
        try (SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile golden = SafetensorsFile.open(dir.resolve("kd_grads.safetensors"))) {
            Batch batch = fixtureBatch(forward);
            float[] teacherLogits = golden.readFloats("teacher_logits").data();
            DistillationObjective objective = new DistillationObjective(student, b -> teacherLogits,
                    DistillationLoss.forwardKl(2), batch.batch(), batch.seq());
            assertEquals(List.of("objective", "kd_loss", "ce_loss"), objective.metrics());
            Parameters grads = Parameters.zeros(student.config());
            double[] values = objective.accumulate(batch, grads, 1f);

            double kd = golden.readFloats("kd_loss").data()[0], ce = forward.readFloats("loss").data()[0];
            assertEquals(kd, values[1], 1e-5 * kd, name + " kd_loss");
            assertEquals(values[1], values[0], 0.0, "objective = kd_loss at ce_weight 0");
            assertEquals(ce, values[2], 1e-5 * ce, name + " ce_loss (logged, not trained)");
            assertGradientsMatch(golden, grads, name);
        }
    }

    static void assertGradientsMatch(SafetensorsFile golden, Parameters grads, String name) {
        for (Tensor g : grads.tensors()) {
            float[] want = golden.readFloats(g.name()).data();
            double max = 0;
            for (float v : want) max = Math.max(max, Math.abs(v));
            for (int i = 0; i < want.length; i++)
                assertEquals(want[i], g.data()[i], 1e-3 * max, name + " d kd_loss / d " + g.name() + "[" + i + "]");
        }
    }

    /**
     * A frozen teacher model gives the same step as its logits handed over directly, and the same
     * loss and gradients as the model's own KL step (the kernel path the fixtures test), with padding.
     */
    @Test
    void aFrozenTeacherModelGivesTheStepOfItsLogits() throws IOException {
        Parameters studentParams = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        Nemotron student = new Nemotron(studentParams);
        Nemotron teacher = new Nemotron(Parameters.initialize(studentParams.config(), 1334));
        Batch batch = TinyModels.randomBatch(studentParams.config().vocabSize(), 3, 9, 4);
        DistillationLoss loss = DistillationLoss.forwardKl(2);

        Parameters viaModel = Parameters.zeros(student.config());
        double[] a = new DistillationObjective(student, new FrozenTeacher(teacher, 3, 9), loss, 3, 9)
                .accumulate(batch, viaModel, 0.5f);

        Activations teacherActs = teacher.trainingActivations(3, 9);
        teacher.forward(batch, teacherActs, null);
        float[] logits = teacherActs.logits().clone();
        Parameters viaLogits = Parameters.zeros(student.config());
        double[] b = new DistillationObjective(student, x -> logits, loss, 3, 9).accumulate(batch, viaLogits, 0.5f);
        assertEquals(b[0], a[0], 1e-12 * b[0]);
        for (Tensor t : viaLogits.tensors())
            assertClose(t.data(), viaModel.data(t.name()), 1e-6, "frozen teacher vs its logits: " + t.name());

        Parameters kernelPath = Parameters.zeros(student.config());
        double kd = student.step(batch, student.trainingActivations(3, 9), kernelPath, LogitLoss.forwardKl(logits, 2f));
        assertEquals(kd, a[1], 1e-6 * kd);
        for (Tensor t : kernelPath.tensors()) {
            float[] half = t.data().clone();
            for (int i = 0; i < half.length; i++) half[i] *= 0.5f;
            assertClose(half, viaModel.data(t.name()), 1e-5, "objective vs the model's KL step: " + t.name());
        }
    }

    /** A student that is a copy of its teacher: zero logit loss, zero intermediate-state loss, zero gradients. */
    @ParameterizedTest
    @EnumSource(value = LogitLossKind.class, names = {"FORWARD_KL", "REVERSE_KL", "MSE", "COSINE"})
    void aCopyOfTheTeacherHasZeroLossAndZeroGradients(LogitLossKind kind) throws IOException {
        Parameters teacherParams = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        Nemotron teacher = new Nemotron(teacherParams), student = new Nemotron(teacherParams.copy());
        Batch batch = TinyModels.randomBatch(teacherParams.config().vocabSize(), 2, 11, 6);
        List<LayerPair> pairs = List.of(new LayerPair(1, 1), new LayerPair(2, 2));
        FrozenTeacher frozen = new FrozenTeacher(teacher, 2, 11, IntermediateStateLoss.teacherIndices(pairs));
        IntermediateStateLoss is = new IntermediateStateLoss(student.config(), frozen, pairs, 2, 11, 0);
        assertTrue(is.projections().isEmpty(), "equal widths need no projection");
        DistillationObjective objective = new DistillationObjective(student, frozen,
                new DistillationLoss(kind, 2, 0, 0), is, 2, 11);
        assertEquals(List.of("objective", kind.metric(), "ce_loss", "is_loss"), objective.metrics());

        Parameters grads = Parameters.zeros(student.config());
        double[] v = objective.accumulate(batch, grads, 1f);
        assertEquals(0, v[0], 1e-7, "objective");
        assertEquals(0, v[1], 1e-7, kind.metric());
        assertTrue(v[2] > 1, "ce_loss is the student's real CE: " + v[2]);
        assertEquals(0, v[3], 1e-7, "is_loss");
        for (Tensor g : grads.tensors())
            for (int i = 0; i < g.size(); i++) assertEquals(0, g.data()[i], 1e-7, g.name() + "[" + i + "]");
    }

    /**
     * The intermediate-state loss's gradient, through the model's norm-output hook and the learned
     * projection, against central finite differences of the loss itself: pairs at an inner layer
     * (input_layernorm output) and at the last one (model.norm output).
     */
    @ParameterizedTest
    @ValueSource(ints = {12, 16})
    void intermediateStateGradientMatchesFiniteDifferences(int studentHidden) {
        NemotronConfig tc = config(16, 3), sc = config(studentHidden, 2);
        Nemotron teacher = new Nemotron(Parameters.initialize(tc, 21));
        Parameters sp = Parameters.initialize(sc, 22);
        SplittableRandom r = new SplittableRandom(5);
        for (Tensor t : sp.tensors()) // non-trivial norm weights so their gradients are tested too
            if (t.name().contains("norm")) for (int i = 0; i < t.size(); i++) t.data()[i] = (float) (r.nextDouble() - 0.5) * 0.4f;
        Nemotron student = new Nemotron(sp);
        Batch batch = TinyModels.randomBatch(tc.vocabSize(), 2, 7, 8);
        List<LayerPair> pairs = List.of(new LayerPair(1, 2), new LayerPair(2, 3));
        FrozenTeacher frozen = new FrozenTeacher(teacher, 2, 7, IntermediateStateLoss.teacherIndices(pairs));
        IntermediateStateLoss is = new IntermediateStateLoss(sc, frozen, pairs, 2, 7, 9);
        assertEquals(studentHidden == 16 ? 0 : 2, is.projections().size());
        Activations acts = student.trainingActivations(2, 7);
        frozen.logits(batch);

        student.forward(batch, acts, is.studentObserver());
        double loss = is.loss(batch, acts);
        assertTrue(loss > 0.05, "the models differ: is_loss " + loss);
        Parameters grads = Parameters.zeros(sc);
        student.backward(batch, acts, new float[acts.logits().length], grads, is.gradient(1f));

        List<Tensor> checked = new java.util.ArrayList<>(sp.tensors());
        List<Tensor> gradients = new java.util.ArrayList<>(grads.tensors());
        for (TrainableTensor p : is.projections()) {
            checked.add(p.value());
            gradients.add(p.gradient());
        }
        for (int k = 0; k < checked.size(); k++) {
            Tensor t = checked.get(k);
            if (t.name().equals(Parameters.LM_HEAD)) continue; // the logits take no part in L_is
            float[] g = gradients.get(k).data();
            double max = 0;
            for (float x : g) max = Math.max(max, Math.abs(x));
            assertTrue(max > 0, t.name() + " has an all-zero gradient");
            for (int trial = 0; trial < 5; trial++) {
                int i = r.nextInt(t.size());
                float saved = t.data()[i];
                float h = 1e-2f;
                t.data()[i] = saved + h;
                student.forward(batch, acts, is.studentObserver());
                double up = is.loss(batch, acts);
                t.data()[i] = saved - h;
                student.forward(batch, acts, is.studentObserver());
                double down = is.loss(batch, acts);
                t.data()[i] = saved;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[i], 3e-3 * max + 2e-6, t.name() + "[" + i + "]");
            }
        }
    }

    static NemotronConfig config(int hidden, int layers) {
        return new NemotronConfig(29, hidden, 24, layers, 2, 1, 8, 0.5, 10000, 1e-5, 64, false, 2, 3, 0, 0.3, null);
    }

    @Test
    void mismatchedTeachersAreRefused() throws IOException {
        Parameters p = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        Nemotron student = new Nemotron(p);
        Nemotron otherVocab = new Nemotron(Parameters.initialize(config(64, 2), 1));
        var e = assertThrows(IllegalArgumentException.class, () -> new DistillationObjective(student,
                new FrozenTeacher(otherVocab, 1, 4), DistillationLoss.forwardKl(1), 1, 4));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
        FrozenTeacher frozen = new FrozenTeacher(new Nemotron(p.copy()), 1, 4, List.of(2));
        var pair = assertThrows(IllegalArgumentException.class, () -> new IntermediateStateLoss(p.config(), frozen,
                List.of(new LayerPair(3, 2)), 1, 4, 0));
        assertTrue(pair.getMessage().contains("intermediate pair 3:2: student index 3 outside 1..2"), pair.getMessage());
        var kept = assertThrows(IllegalArgumentException.class, () -> new IntermediateStateLoss(p.config(), frozen,
                List.of(new LayerPair(1, 1)), 1, 4, 0));
        assertTrue(kept.getMessage().contains("teacher hidden state 1 was not kept"), kept.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerPair.parse("2-4")).getMessage().contains("2-4"));
        assertEquals(List.of(new LayerPair(2, 4), new LayerPair(3, 6)), LayerPair.parse("2:4, 3:6"));
    }

    static void assertClose(float[] want, float[] got, double relative, String what) {
        double max = 0;
        for (float v : want) max = Math.max(max, Math.abs(v));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], relative * max + 1e-12, what + "[" + i + "]");
    }
}
