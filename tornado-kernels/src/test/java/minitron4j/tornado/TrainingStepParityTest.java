package minitron4j.tornado;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import minitron4j.model.backend.Loss;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static minitron4j.tornado.DeviceRun.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole optimizer steps on the TornadoVM backend against the CPU backend, buffer by buffer: two CE
 * steps from restored (non-zero) AdamW moments, the first over two accumulated micro-batches (one
 * right-padded) with clipping in force, the second without clipping; then distillation from a
 * resident teacher with every logit loss kind, a CE term, and the intermediate-state loss with and
 * without learned projections. After each step: the losses, the
 * gradient norm, every gradient, then every weight and both moments after the update; at the end
 * the logits of the trained model, through the same session.
 */
class TrainingStepParityTest {
    // eps 1e-3 keeps AdamW's first steps (about lr * sign(g)) from amplifying the last-bit
    // differences of gradients near 0 into differences of whole steps
    static final AdamWSettings ADAMW = AdamWSettings.of(0.9, 0.95, 1e-3, 0.1);
    static final double LR = 1e-2;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void optimizerStepsMatchTheCpuBackend(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Parameters start = Checkpoint.load(dir).params();
        try (SafetensorsFile forward = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            IntTensor ids = forward.readInts("input_ids");
            int b = ids.shape()[0], t = ids.shape()[1];
            Batch first = Batch.of(ids.data(), b, t);
            int[] reversed = new int[b * t];
            for (int i = 0; i < reversed.length; i++) reversed[i] = ids.data()[reversed.length - 1 - i];
            Batch padded = new Batch(reversed, b, t, new int[]{t, t - 5});

            // a resumed run: weights and moments written before the first step
            Parameters weights = perturbed(start, 11, 1e-2), m = perturbed(Parameters.zeros(start.config()), 12, 1e-3),
                    v = squared(perturbed(Parameters.zeros(start.config()), 13, 1e-3));
            Parameters cpuParams = weights.copy();
            try (Backend.Session cpu = Backends.get("cpu").open(cpuParams);
                 Backend.Session device = Backends.get("tornado").open(start);
                 Backend.Training cpuTraining = cpu.training(Loss.crossEntropy(), b, t, ADAMW);
                 Backend.Training deviceTraining = device.training(Loss.crossEntropy(), b, t, ADAMW)) {
                cpuTraining.writeMoments(m, v);
                deviceTraining.writeParameters(weights);
                deviceTraining.writeMoments(m, v);

                // step 1: two CE micro-batches of weight 1/2, clipped to half the norm
                for (Backend.Training tr : new Backend.Training[]{cpuTraining, deviceTraining}) tr.zeroGradients();
                for (Batch micro : new Batch[]{first, padded}) {
                    double want = cpuTraining.accumulate(micro, 0.5f)[0];
                    assertEquals(want, deviceTraining.accumulate(micro, 0.5f)[0], 1e-5 * want, name + " CE loss");
                }
                double norm = compareGradientsAndNorm(cpuTraining, deviceTraining, start.config(), name + " step 1");
                cpuTraining.update(norm, norm / 2, LR, 1);
                deviceTraining.update(deviceTraining.gradientNorm(), norm / 2, LR, 1);
                compareState(cpuTraining, deviceTraining, start, name + " step 1");

                // step 2: one micro-batch, no clipping
                for (Backend.Training tr : new Backend.Training[]{cpuTraining, deviceTraining}) tr.zeroGradients();
                double want = cpuTraining.accumulate(padded, 1f)[0];
                assertEquals(want, deviceTraining.accumulate(padded, 1f)[0], 1e-5 * want, name + " CE loss");
                norm = compareGradientsAndNorm(cpuTraining, deviceTraining, start.config(), name + " step 2");
                cpuTraining.update(norm, 0, LR, 2);
                deviceTraining.update(norm, 0, LR, 2);
                compareState(cpuTraining, deviceTraining, start, name + " step 2");

                assertTrue(assertThrows(IllegalStateException.class, () -> deviceTraining.writeParameters(weights)).getMessage()
                        .contains("before its first step"));
                // the contract's rule holds on the CPU alike
                assertTrue(assertThrows(IllegalStateException.class, () -> cpuTraining.writeMoments(m, v)).getMessage()
                        .contains("the cpu backend takes AdamW moments from the host only before its first step"));
                assertClose(cpu.forward(first), device.forward(first), 1e-4, name + " logits after training");
            }
        }
    }

    /** Every logit loss kind, and the forward KL with a CE term: what {@code distill --loss} and {@code --ce-weight} offer. */
    static Stream<DistillationLoss> losses() {
        return Stream.of(DistillationLoss.forwardKl(2), new DistillationLoss(LogitLossKind.REVERSE_KL, 2, 0, 0),
                new DistillationLoss(LogitLossKind.MSE, 1, 0, 0), new DistillationLoss(LogitLossKind.COSINE, 1, 0, 0),
                new DistillationLoss(LogitLossKind.TOP_K, 2, 5, 0), new DistillationLoss(LogitLossKind.FORWARD_KL, 2, 0, 0.5));
    }

    /**
     * Distillation with the teacher held beside the student on the device (one plan, its logits
     * never leave the device): a teacher of another width and depth, two steps; the teacher's
     * logits, every logged value (within 1e-4 relative), the gradients and the state after each
     * update match the CPU backend.
     */
    @ParameterizedTest
    @MethodSource("losses")
    void distillationFromAResidentTeacherMatchesTheCpuBackend(DistillationLoss logits) throws IOException {
        Parameters student = Checkpoint.load(Fixtures.hfNemotron("tiny-mqa-tied")).params();
        Parameters teacher = Parameters.initialize(NemotronConfig.of(student.config().vocabSize(), 64, 128, 2, 4, 2, 16, false), 5);
        assertDistillationMatches(student, new Loss.Distillation(teacher, logits, List.of(), 0),
                logits.kind().id() + " ce_weight " + logits.ceWeight());
    }

    /**
     * The intermediate-state loss with its learned projections (a teacher 64 wide against the
     * student's 48, pairs at an inner layer and at both final norms) and without them (a teacher
     * of the student's width), with a CE term so that alpha carries the whole objective.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theIntermediateStateLossMatchesTheCpuBackend(boolean projected) throws IOException {
        Parameters student = Checkpoint.load(Fixtures.hfNemotron("tiny-mqa-tied")).params();
        Parameters teacher = projected
                ? Parameters.initialize(NemotronConfig.of(student.config().vocabSize(), 64, 128, 2, 4, 2, 16, false), 5)
                : Parameters.initialize(student.config(), 6);
        List<LayerPair> pairs = LayerPair.parse(projected ? "1:1,3:2" : "2:1,3:3");
        Loss loss = new Loss.Distillation(teacher, new DistillationLoss(LogitLossKind.FORWARD_KL, 2, 0, 0.5), pairs, 9);
        assertDistillationMatches(student, loss, "intermediate " + pairs + (projected ? " projected" : ""));
    }

    private static void assertDistillationMatches(Parameters student, Loss loss, String what) throws IOException {
        IntTensor ids;
        try (SafetensorsFile forward = SafetensorsFile.open(Fixtures.hfNemotron("tiny-mqa-tied").resolve("forward.safetensors"))) {
            ids = forward.readInts("input_ids");
        }
        int b = ids.shape()[0], t = ids.shape()[1];
        Batch batch = new Batch(ids.data(), b, t, new int[]{t, t - 4});
        try (Backend.Session cpu = Backends.get("cpu").open(student.copy());
             Backend.Session device = Backends.get("tornado").open(student);
             Backend.Training cpuTraining = cpu.training(loss, b, t, ADAMW);
             Backend.Training deviceTraining = device.training(loss, b, t, ADAMW)) {
            assertEquals(cpuTraining.metrics(), deviceTraining.metrics());
            List<Tensor> extras = cpuTraining.extraParameters();
            assertEquals(extras.stream().map(Tensor::name).toList(), deviceTraining.extraParameters().stream().map(Tensor::name).toList());
            for (int i = 0; i < extras.size(); i++)
                assertArrayEquals(extras.get(i).data(), deviceTraining.extraParameters().get(i).data(), "initial " + extras.get(i).name());
            assertClose(cpuTraining.teacherLogits(batch).clone(), deviceTraining.teacherLogits(batch), 1e-4, "teacher logits");
            for (int step = 1; step <= 2; step++) {
                for (Backend.Training tr : new Backend.Training[]{cpuTraining, deviceTraining}) tr.zeroGradients();
                double[] want = cpuTraining.accumulate(batch, 1f), got = deviceTraining.accumulate(batch, 1f);
                for (int i = 0; i < want.length; i++)
                    assertEquals(want[i], got[i], 1e-4 * Math.abs(want[i]) + 1e-7, what + " " + cpuTraining.metrics().get(i) + ", step " + step);
                double norm = compareGradientsAndNorm(cpuTraining, deviceTraining, student.config(), what + ", step " + step);
                compareExtras(cpuTraining, deviceTraining, extras, true, what + ", step " + step);
                cpuTraining.update(norm, norm / 2, LR, step);
                deviceTraining.update(norm, norm / 2, LR, step);
                compareState(cpuTraining, deviceTraining, student, what + ", step " + step);
                compareExtras(cpuTraining, deviceTraining, extras, false, what + ", step " + step);
            }
            assertClose(cpu.forward(batch), device.forward(batch), 1e-4, what + ": student logits after training");
        }
    }

    /**
     * The learned projections' gradients (before the update: the CPU clips its gradients in place,
     * the device as it applies them), or their values and moments (after it).
     */
    private static void compareExtras(Backend.Training cpu, Backend.Training device, List<Tensor> shapes, boolean gradients,
                                      String what) {
        List<List<Tensor>> want = new java.util.ArrayList<>(), got = new java.util.ArrayList<>();
        for (int k = 0; k < 4; k++) {
            want.add(shapes.stream().map(Tensor::copy).toList());
            got.add(shapes.stream().map(Tensor::copy).toList());
        }
        cpu.readExtras(want.get(0), want.get(1), want.get(2), want.get(3));
        device.readExtras(got.get(0), got.get(1), got.get(2), got.get(3));
        String[] parts = {"value", "gradient", "exp_avg", "exp_avg_sq"};
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < shapes.size() && (k == 1) == gradients; i++) {
                float[] w = want.get(k).get(i).data();
                assertClose(w, got.get(k).get(i).data(), 1e-3 * largest(w) + 1e-12, what + " " + shapes.get(i).name() + " " + parts[k]);
            }
    }

    static double compareGradientsAndNorm(Backend.Training cpu, Backend.Training device, NemotronConfig config,
                                          String what) {
        double want = cpu.gradientNorm(), got = device.gradientNorm();
        assertEquals(want, got, 1e-4 * want, what + " gradient norm");
        Parameters wantG = Parameters.zeros(config), gotG = Parameters.zeros(config);
        cpu.readGradients(wantG);
        device.readGradients(gotG);
        compareRelative(wantG, gotG, what + " gradient");
        return want;
    }

    static void compareState(Backend.Training cpu, Backend.Training device, Parameters shape, String what) {
        Parameters wantP = Parameters.zeros(shape.config()), gotP = Parameters.zeros(shape.config());
        cpu.readParameters(wantP);
        device.readParameters(gotP);
        for (Tensor p : wantP.tensors()) assertClose(p.data(), gotP.data(p.name()), 1e-4, what + " weight " + p.name());
        Parameters wantM = Parameters.zeros(shape.config()), wantV = Parameters.zeros(shape.config()),
                gotM = Parameters.zeros(shape.config()), gotV = Parameters.zeros(shape.config());
        cpu.readMoments(wantM, wantV);
        device.readMoments(gotM, gotV);
        compareRelative(wantM, gotM, what + " exp_avg");
        compareRelative(wantV, gotV, what + " exp_avg_sq");
    }

    /**
     * Each tensor within 1e-3 of its largest entry, as the HF gradient fixtures are compared, but
     * never closer than float rounding (2^-23) of the pool's largest entry: a tensor whose gradient
     * vanishes analytically (a QA head's bias and the final norm's bias: the span softmax's gradient
     * sums to zero over each row's positions) holds only rounding noise, on either backend.
     */
    private static void compareRelative(Parameters want, Parameters got, String what) {
        double poolMax = 0;
        for (Tensor w : want.tensors()) poolMax = Math.max(poolMax, largest(w.data()));
        for (Tensor w : want.tensors())
            assertClose(w.data(), got.data(w.name()), Math.max(1e-3 * largest(w.data()), 0x1p-23 * poolMax) + 1e-12,
                    what + " " + w.name());
    }

    private static double largest(float[] x) {
        double max = 0;
        for (float v : x) max = Math.max(max, Math.abs(v));
        return max;
    }

    static Parameters perturbed(Parameters p, long seed, double scale) {
        Parameters c = p.copy();
        SplittableRandom r = new SplittableRandom(seed);
        for (Tensor x : c.tensors()) {
            float[] d = x.data();
            for (int i = 0; i < d.length; i++) d[i] += (float) ((r.nextDouble() - 0.5) * 2 * scale);
        }
        return c;
    }

    private static Parameters squared(Parameters p) {
        for (Tensor x : p.tensors()) {
            float[] d = x.data();
            for (int i = 0; i < d.length; i++) d[i] *= d[i];
        }
        return p;
    }
}
