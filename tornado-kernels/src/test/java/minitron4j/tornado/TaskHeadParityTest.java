package minitron4j.tornado;

import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.HeadSpec;
import minitron4j.model.HeadTargets;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import minitron4j.model.backend.Loss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.SplittableRandom;

import static minitron4j.model.FloatAsserts.assertCloseToScale;
import static minitron4j.tornado.TrainingStepParityTest.ADAMW;
import static minitron4j.tornado.TrainingStepParityTest.LR;
import static minitron4j.tornado.TrainingStepParityTest.compareGradientsAndNorm;
import static minitron4j.tornado.TrainingStepParityTest.compareState;
import static minitron4j.tornado.TrainingStepParityTest.perturbed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model card's other classes on the TornadoVM backend against the CPU backend, on a tiny GQA
 * model of odd sizes with right-padded rows (pad id 0 after each row's length): the head outputs
 * [N, K] of an evaluation pass within 1e-5 of their largest, then two optimizer steps of
 * {@link Loss.TaskHead} (the first over two micro-batches and clipped, the second without
 * clipping; token classification drawing its dropout mask from each micro-batch's key) compared as
 * {@link TrainingStepParityTest} compares CE steps: the losses, the gradient norm, every gradient
 * (head weight and bias included), the weights and moments after each update; then the trained
 * model's outputs. The base model has no head outputs on either backend, the same last hidden
 * state, and nothing to train or decode.
 */
class TaskHeadParityTest {
    /** A class with its labels and the targets its loss takes. */
    enum Case { SINGLE_LABEL, MULTI_LABEL, TOKEN_TAGS, SPANS }

    private static final int B = 3, T = 7, V = 37;
    private static final int[] LENGTHS = {7, 4, 1};

    private static NemotronConfig config(HeadSpec head) {
        return NemotronConfig.of(V, 12, 19, 2, 4, 2, 8, false).withHead(head); // pad_token_id 0, classifier dropout 0.1
    }

    private static NemotronConfig config(Case c) {
        return config(switch (c) {
            case SINGLE_LABEL -> new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("a", "b", "c"), null);
            // float labels over four classes: HF infers multi-label classification (BCE with logits)
            case MULTI_LABEL -> new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("x", "y", "z", "w"), null);
            case TOKEN_TAGS -> new HeadSpec(Architecture.TOKEN_CLASSIFICATION, List.of("O", "B", "I", "E", "S"), null);
            case SPANS -> new HeadSpec(Architecture.QUESTION_ANSWERING, HeadSpec.defaultLabels(2), null);
        });
    }

    /** Right-padded ids (pad id 0 after each row's length, never inside it), micro-batch m's targets. */
    private static Batch batch(Case c, int m) {
        SplittableRandom r = new SplittableRandom(m);
        int[] ids = new int[B * T];
        for (int b = 0; b < B; b++) for (int t = 0; t < LENGTHS[b]; t++) ids[b * T + t] = 1 + r.nextInt(V - 1);
        HeadTargets targets = switch (c) {
            case SINGLE_LABEL -> new HeadTargets.SequenceClasses(m == 0 ? new int[]{2, -100, 0} : new int[]{1, 0, 2});
            case MULTI_LABEL -> {
                float[] v = new float[B * 4];
                for (int i = 0; i < v.length; i++) v[i] = r.nextInt(2);
                yield new HeadTargets.SequenceValues(v, 4);
            }
            case TOKEN_TAGS -> {
                int[] tags = new int[B * T];
                for (int i = 0; i < tags.length; i++) tags[i] = ids[i] == 0 ? -100 : r.nextInt(5);
                yield new HeadTargets.TokenTags(tags, 12345L + m);
            }
            // row 1's end lies past T (ignored), row 2's start is -100 (clamped to 0, counted)
            case SPANS -> new HeadTargets.Spans(new int[]{3, 1, -100}, new int[]{5, 9, m});
        };
        return new Batch(ids, B, T, LENGTHS, targets);
    }

    /** Initial weights (biases and norms at 0) moved by up to 0.1, so that every tensor, the biases included, matters. */
    private static Parameters parameters(NemotronConfig c) {
        return perturbed(Parameters.initialize(c, 7), 3, 0.1);
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void forwardAndTrainingStepsMatchTheCpuBackend(Case kase) {
        NemotronConfig c = config(kase);
        Parameters start = parameters(c);
        Batch first = batch(kase, 0), second = batch(kase, 1);
        assertNull(Backends.get("tornado").unsupported(new Loss.TaskHead()));
        try (Backend.Session cpu = Backends.get("cpu").open(start.copy());
             Backend.Session device = Backends.get("tornado").open(start)) {
            float[] want = cpu.forward(first);
            assertEquals(B * T * c.headOutputs(), want.length);
            assertCloseToScale(want, device.forward(first), 1e-5, kase + " outputs");
            try (Backend.Training cpuTraining = cpu.training(new Loss.TaskHead(), B, T, ADAMW);
                 Backend.Training deviceTraining = device.training(new Loss.TaskHead(), B, T, ADAMW)) {
                assertEquals(List.of(Loss.TASK_LOSS), deviceTraining.metrics());
                // step 1: two micro-batches of weight 1/2, clipped to half the norm
                for (Backend.Training tr : new Backend.Training[]{cpuTraining, deviceTraining}) tr.zeroGradients();
                for (Batch micro : new Batch[]{first, second}) assertLossMatches(cpuTraining, deviceTraining, micro, 0.5f, kase + " step 1");
                double norm = compareGradientsAndNorm(cpuTraining, deviceTraining, c, kase + " step 1");
                cpuTraining.update(norm, norm / 2, LR, 1);
                deviceTraining.update(deviceTraining.gradientNorm(), norm / 2, LR, 1);
                compareState(cpuTraining, deviceTraining, start, kase + " step 1");

                // step 2: one micro-batch, no clipping
                for (Backend.Training tr : new Backend.Training[]{cpuTraining, deviceTraining}) tr.zeroGradients();
                assertLossMatches(cpuTraining, deviceTraining, second, 1f, kase + " step 2");
                norm = compareGradientsAndNorm(cpuTraining, deviceTraining, c, kase + " step 2");
                cpuTraining.update(norm, 0, LR, 2);
                deviceTraining.update(norm, 0, LR, 2);
                compareState(cpuTraining, deviceTraining, start, kase + " step 2");
                assertCloseToScale(cpu.forward(second), device.forward(second), 1e-4, kase + " outputs after training");
            }
        }
    }

    private static void assertLossMatches(Backend.Training cpu, Backend.Training device, Batch micro, float weight, String what) {
        double want = cpu.accumulate(micro, weight)[0];
        assertEquals(want, device.accumulate(micro, weight)[0], 1e-5 * Math.abs(want), what + " task_loss");
    }

    @Test
    void theBaseModelHasNoHeadOutputsAndNothingToTrainOrDecode() {
        NemotronConfig c = config(new HeadSpec(Architecture.BASE, HeadSpec.defaultLabels(2), null));
        Parameters params = parameters(c);
        Batch batch = batch(Case.SINGLE_LABEL, 0).withTargets(null);
        LastHiddenState cpuState = new LastHiddenState(), deviceState = new LastHiddenState();
        try (Backend.Session cpu = Backends.get("cpu").open(params);
             Backend.Session device = Backends.get("tornado").open(params)) {
            assertEquals(0, cpu.forward(batch, cpuState).length);
            assertEquals(0, device.forward(batch, deviceState).length);
            assertCloseToScale(cpuState.out, deviceState.out, 1e-5, "the base model's last hidden state");
            assertEquals("NemotronModel has no task head to train",
                    assertThrows(IllegalArgumentException.class, () -> device.training(new Loss.TaskHead(), B, T, ADAMW)).getMessage());
            // both backends refuse with the one message of NemotronConfig.requireCausalLm
            assertEquals(assertThrows(IllegalArgumentException.class, () -> cpu.crossEntropyGradients(batch, Parameters.zeros(c))).getMessage(),
                    assertThrows(IllegalArgumentException.class, () -> device.crossEntropyGradients(batch, Parameters.zeros(c))).getMessage());
            assertEquals(assertThrows(IllegalArgumentException.class, () -> cpu.decoder(8)).getMessage(),
                    assertThrows(IllegalArgumentException.class, () -> device.decoder(8)).getMessage());
        }
    }

    /** The final norm's output [N, H]: the base model's output. */
    private static final class LastHiddenState implements ForwardObserver {
        float[] out;

        @Override
        public void finalNormOutput(float[] out, Batch batch) {
            this.out = out.clone();
        }
    }
}
