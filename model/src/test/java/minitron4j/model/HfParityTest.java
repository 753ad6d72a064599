package minitron4j.model;

import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole model against golden outputs written by HF transformers' NemotronForCausalLM
 * (../shared/fixtures/hf-nemotron): logits and hidden states within 1e-4, losses within 1e-5
 * relative, every gradient within 1e-3 of its tensor's largest entry, greedy generation identical.
 */
class HfParityTest {

    static Nemotron load(Path dir) throws IOException {
        NemotronConfig c = NemotronConfig.load(dir.resolve("config.json"));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (String n : f.names()) m.put(n, f.readFloats(n));
            return new Nemotron(Parameters.of(c, m, f.path().toString()));
        }
    }

    static Batch inputBatch(SafetensorsFile f) {
        IntTensor ids = f.readInts("input_ids");
        return Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void logitsHiddenStatesAndLossMatchHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron model = load(dir);
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            Batch batch = inputBatch(golden);
            Activations acts = model.trainingActivations(batch.batch(), batch.seq());
            model.forward(batch, acts, null);
            assertClose(golden.readFloats("logits").data(), acts.logits(), 1e-4, name + " logits");
            int layers = model.config().numHiddenLayers();
            for (int i = 0; i <= layers; i++)
                assertClose(golden.readFloats("hidden_states." + i).data(), acts.hiddenState(i, layers), 1e-4,
                        name + " hidden_states." + i);
            Parameters grads = Parameters.zeros(model.config());
            double loss = model.crossEntropyStep(batch, model.trainingActivations(batch.batch(), batch.seq()), grads, 1f);
            double expected = golden.readFloats("loss").data()[0];
            assertEquals(expected, loss, 1e-5 * Math.abs(expected), name + " loss");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void crossEntropyGradientsMatchHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron model = load(dir);
        try (SafetensorsFile input = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile golden = SafetensorsFile.open(dir.resolve("ce_grads.safetensors"))) {
            Batch batch = inputBatch(input);
            Parameters grads = Parameters.zeros(model.config());
            model.crossEntropyStep(batch, model.trainingActivations(batch.batch(), batch.seq()), grads, 1f);
            assertGradientsMatch(golden, grads, name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void distillationLossAndGradientsMatchHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron model = load(dir);
        try (SafetensorsFile input = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile golden = SafetensorsFile.open(dir.resolve("kd_grads.safetensors"))) {
            Batch batch = inputBatch(input);
            Parameters grads = Parameters.zeros(model.config());
            float[] teacher = golden.readFloats("teacher_logits").data();
            double loss = model.step(batch, model.trainingActivations(batch.batch(), batch.seq()), grads,
                    LogitLoss.forwardKl(teacher, 2f));
            double expected = golden.readFloats("kd_loss").data()[0];
            assertEquals(expected, loss, 1e-5 * Math.abs(expected), name + " kd_loss");
            assertGradientsMatch(golden, grads, name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void greedyGenerationMatchesHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Nemotron model = load(dir);
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("generate.safetensors"))) {
            int[] prompt = golden.readInts("prompt").data();
            int[] expected = golden.readInts("generated").data();
            Generator.Output out = new Generator(model).generate(prompt, expected.length - prompt.length,
                    Sampler.greedy(), -1, null);
            assertArrayEquals(expected, out.ids(), name + " greedy ids");
        }
    }

    static void assertGradientsMatch(SafetensorsFile golden, Parameters grads, String name) {
        int checked = 0;
        for (Tensor g : grads.tensors()) {
            assertTrue(golden.contains(g.name()), name + ": golden file lacks " + g.name());
            float[] want = golden.readFloats(g.name()).data();
            double max = 0;
            for (float v : want) max = Math.max(max, Math.abs(v));
            assertClose(want, g.data(), 1e-3 * max, name + " d/d " + g.name());
            checked++;
        }
        assertEquals(grads.tensors().size(), checked);
    }

    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " size");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tol, what + ": max |diff| " + worst + " at " + at + " > " + tol);
    }
}
