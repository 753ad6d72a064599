package minitron4j.model;

import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Generator;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.IntTensor;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static minitron4j.model.FloatAsserts.assertClose;
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
        return new Nemotron(Checkpoint.load(dir).params());
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

    /** The same hidden states through the backend door: a forward pass, and an observation that skips the head. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void hiddenStatesThroughTheCpuBackendMatchHf(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Parameters params = Checkpoint.load(dir).params();
        int layers = params.config().numHiddenLayers();
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             Backend.Session session = new CpuBackend().open(params)) {
            Batch batch = inputBatch(golden);
            HiddenStates viaForward = new HiddenStates(params.config()), viaObserve = new HiddenStates(params.config());
            assertClose(golden.readFloats("logits").data(), session.forward(batch, viaForward), 1e-4, name + " logits");
            session.observe(batch, viaObserve);
            for (int i = 0; i <= layers; i++) {
                assertClose(golden.readFloats("hidden_states." + i).data(), viaForward.get(i), 1e-4, name + " hidden_states." + i);
                assertArrayEquals(viaForward.get(i), viaObserve.get(i), name + " observed hidden_states." + i);
            }
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

    @ParameterizedTest
    @ValueSource(strings = {"sharded-bf16", "bin-fp32"})
    void otherCheckpointFormatsMatchTheirHfLogits(String name) throws IOException {
        Path dir = Fixtures.hfFormats(name);
        Nemotron model = new Nemotron(Checkpoint.load(dir).params());
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            Batch batch = inputBatch(golden);
            Activations acts = model.inferenceActivations(batch.batch(), batch.seq());
            model.forward(batch, acts, null);
            assertClose(golden.readFloats("logits").data(), acts.logits(), 1e-4, name + " logits");
        }
    }

    /**
     * Minitron-4B's proportions (H:F = 1:3, 3 query heads per KV head, heads*head_dim = H) at a
     * small size, written by our own writer as sharded bf16, loaded through the index and run; the
     * logits equal the double-precision reference forward of the same (bf16-rounded) weights.
     */
    @Test
    void minitronShapedBf16ShardedCheckpointRuns(@TempDir Path tmp) throws IOException {
        NemotronConfig c = NemotronConfig.of(500, 192, 576, 2, 6, 2, 32, false);
        Parameters p = Parameters.initialize(c, 11);
        Checkpoint.save(tmp.resolve("m"), c, p, Dtype.BF16, 200_000);
        assertTrue(Files.exists(tmp.resolve("m/model.safetensors.index.json")));
        Checkpoint.LoadedModel loaded = Checkpoint.load(tmp.resolve("m"));
        assertEquals(Dtype.BF16, loaded.dtype());
        Nemotron model = new Nemotron(loaded.params());
        int[] ids = new int[2 * 9];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 5) % 500;
        Batch batch = Batch.of(ids, 2, 9);
        Activations acts = model.inferenceActivations(2, 9);
        model.forward(batch, acts, null);
        double[] ref = ReferenceNemotron.logits(loaded.params(), batch);
        float[] want = new float[ref.length];
        for (int i = 0; i < ref.length; i++) want[i] = (float) ref[i];
        assertClose(want, acts.logits(), 1e-4, "Minitron-shaped logits");
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
}
