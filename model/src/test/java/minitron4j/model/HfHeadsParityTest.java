package minitron4j.model;

import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.io.BatchFiles;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.loss.HeadLoss;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static minitron4j.model.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every model-card class against Hugging Face's own outputs (testdata/fixtures/hf-heads, written by
 * transformers 5.17 with generate.py there): the checkpoint HF saved loads as its class, and on two
 * right-padded batch shapes the class's outputs (last_hidden_state, pooled logits, start/end logits,
 * per-token logits) and every hidden state match within 1e-4 at every position, padding included,
 * the loss within 1e-5 relative, and every parameter's gradient within 1e-3 of its tensor's largest
 * entry.
 */
class HfHeadsParityTest {
    static Stream<Arguments> cases() {
        return Stream.of("base", "seq-single", "seq-regression", "seq-multi", "qa", "token")
                .flatMap(c -> Stream.of(Arguments.of(c, "a"), Arguments.of(c, "b")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void outputsLossAndGradientsMatchHf(String name, String shape) throws IOException {
        Path dir = Fixtures.hfHeads(name), forward = dir.resolve("forward-" + shape + ".safetensors");
        Parameters p = Checkpoint.load(dir).params();
        NemotronConfig c = p.config();
        Batch batch = BatchFiles.withTargets(forward, c, BatchFiles.read(forward));
        int layers = c.numHiddenLayers();
        HiddenStates hidden = new HiddenStates(c);
        float[] outputs;
        try (Backend.Session s = new CpuBackend().open(p)) {
            outputs = s.forward(batch, hidden);
        }
        try (SafetensorsFile want = SafetensorsFile.open(forward)) {
            for (int i = 0; i <= layers; i++) assertClose(want.readFloats("hidden_states." + i).data(), hidden.get(i), 1e-4, "hidden_states." + i);
            double loss = want.readFloats("loss").data()[0];
            switch (c.architecture()) {
                case BASE -> {
                    assertClose(want.readFloats("last_hidden_state").data(), hidden.get(layers), 1e-4, "last_hidden_state");
                    double mean = 0;
                    for (float v : hidden.get(layers)) mean += (double) v * v / hidden.get(layers).length;
                    assertEquals(loss, mean, 1e-5 * loss, "mean of last_hidden_state squared");
                }
                case SEQUENCE_CLASSIFICATION -> {
                    assertClose(want.readFloats("logits").data(), HeadLoss.pooled(c, outputs, batch), 1e-4, "logits");
                    assertEquals(loss, HeadLoss.value(c, outputs, batch), 1e-5 * loss, "loss");
                }
                case QUESTION_ANSWERING -> {
                    float[][] startEnd = HeadLoss.startEndLogits(outputs, batch.tokens());
                    assertClose(want.readFloats("start_logits").data(), startEnd[0], 1e-4, "start_logits");
                    assertClose(want.readFloats("end_logits").data(), startEnd[1], 1e-4, "end_logits");
                    assertEquals(loss, HeadLoss.value(c, outputs, batch), 1e-5 * loss, "loss");
                }
                case TOKEN_CLASSIFICATION -> {
                    assertClose(want.readFloats("logits").data(), outputs, 1e-4, "logits");
                    assertEquals(loss, HeadLoss.value(c, outputs, batch), 1e-5 * loss, "loss");
                }
                case CAUSAL_LM -> throw new AssertionError(dir + " is a causal LM");
            }
        }
        Parameters grads = gradients(p, batch);
        try (SafetensorsFile want = SafetensorsFile.open(dir.resolve("grads-" + shape + ".safetensors"))) {
            for (String n : p.names()) {
                float[] g = want.readFloats(c.architecture().fileKey(n)).data();
                double max = 0;
                for (float v : g) max = Math.max(max, Math.abs(v));
                assertClose(g, grads.data(n), 1e-3 * max + 1e-7, n + " gradient");
            }
        }
    }

    /** d loss / d parameters: the class's HF loss, or for the base model the mean of its last hidden state squared. */
    private static Parameters gradients(Parameters p, Batch batch) {
        NemotronConfig c = p.config();
        Nemotron model = new Nemotron(p);
        Parameters grads = Parameters.zeros(c);
        Activations acts = model.trainingActivations(batch.batch(), batch.seq());
        if (c.architecture() != Architecture.BASE) {
            model.step(batch, acts, grads, HeadLoss.of(c, 1f));
            return grads;
        }
        model.forward(batch, acts, null);
        float[] last = acts.finalNormOutput();
        model.backward(batch, acts, null, grads, (index, dnorm) -> {
            if (index == c.numHiddenLayers()) for (int i = 0; i < last.length; i++) dnorm[i] += 2 * last[i] / last.length;
        });
        return grads;
    }
}
