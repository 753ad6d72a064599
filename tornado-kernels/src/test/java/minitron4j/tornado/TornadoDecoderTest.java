package minitron4j.tornado;

import minitron4j.model.AdamWSettings;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.backend.CpuDecoder;
import minitron4j.model.Fixtures;
import minitron4j.model.backend.Generator;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Loss;
import minitron4j.model.backend.Backends;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static minitron4j.tornado.DeviceRun.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generation through the tornado session's decoder (what {@code generate --backend tornado} runs):
 * HF's greedy ids exactly, and after every append logits within 1e-4 of the CPU decoder fed the
 * same tokens.
 */
class TornadoDecoderTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny-gqa", "tiny-mqa-tied"})
    void greedyGenerationMatchesHfAndEveryStepMatchesTheCpuDecoder(String name) throws IOException {
        Path dir = Fixtures.hfNemotron(name);
        Parameters params = Checkpoint.load(dir).params();
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("generate.safetensors"));
             Backend.Session device = Backends.get("tornado").open(params)) {
            int[] prompt = golden.readInts("prompt").data();
            int[] expected = golden.readInts("generated").data();
            StepCheck steps = new StepCheck(device, new Nemotron(params), name);
            Generator.Output out = new Generator(steps).generate(prompt, expected.length - prompt.length,
                    Sampler.greedy(), -1, null);
            assertArrayEquals(expected, out.ids(), name + " greedy ids");
            // the prompt in one append, then every generated token but the last
            assertEquals(expected.length - prompt.length, steps.appends, name + " appends compared");
        }
    }

    /**
     * A decoder and the session's forward graphs hold their own device copies of the weights (two
     * execution plans) in one session: interleaved, each still computes what the other does.
     */
    @Test
    void aDecoderAndTheForwardPassRunSideBySideInOneSession() throws IOException {
        Path dir = Fixtures.hfNemotron("tiny-mqa-tied");
        Parameters params = Checkpoint.load(dir).params();
        int vocab = params.config().vocabSize();
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("generate.safetensors"));
             Backend.Session device = Backends.get("tornado").open(params)) {
            int[] ids = golden.readInts("generated").data();
            Batch batch = Batch.of(ids, 1, ids.length);
            float[] logits = device.forward(batch);
            try (Backend.Decoder decoder = device.decoder(ids.length)) {
                for (int t = 0; t < ids.length; t++) {
                    float[] step = decoder.append(new int[]{ids[t]});
                    assertClose(Arrays.copyOfRange(logits, t * vocab, (t + 1) * vocab), step, 1e-4, "decoder vs forward at " + t);
                }
                assertClose(logits, device.forward(batch), 0, "forward after decoding");
            }
        }
    }

    /**
     * A prompt longer than a prefill chunk (two chunks, the second from position PREFILL_ROWS, 9
     * prompt rows of 64), then three tokens in one append (a chunk from a later position) and one
     * token: after each append the logits are the CPU decoder's within 1e-4.
     */
    @Test
    void promptsRunInChunksFromAnyPosition() throws IOException {
        Parameters params = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        int rows = DecodeGraphs.PREFILL_ROWS;
        int[] ids = new SplittableRandom(9).ints(rows + 13, 0, params.config().vocabSize()).toArray();
        try (Backend.Session device = Backends.get("tornado").open(params)) {
            StepCheck steps = new StepCheck(device, new Nemotron(params), "tiny-gqa");
            try (Backend.Decoder decoder = steps.decoder(ids.length)) {
                decoder.append(Arrays.copyOfRange(ids, 0, rows + 9));
                decoder.append(Arrays.copyOfRange(ids, rows + 9, rows + 12));
                decoder.append(Arrays.copyOfRange(ids, rows + 12, ids.length));
            }
            assertEquals(3, steps.appends);
        }
    }

    @Test
    void appendingPastCapacityOrOutsideTheVocabularyFailsClearly() throws IOException {
        Parameters params = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa")).params();
        try (Backend.Session device = Backends.get("tornado").open(params);
             Backend.Decoder decoder = device.decoder(3)) {
            IllegalArgumentException full = assertThrows(IllegalArgumentException.class, () -> decoder.append(new int[]{5, 6, 7, 8}));
            assertEquals("the KV cache holds 3 positions; 0 are filled and 4 more came", full.getMessage());
            IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> decoder.append(new int[]{5, 512}));
            assertTrue(id.getMessage().contains("token id 512 at index 1"), id.getMessage());
            assertEquals(0, decoder.length());
            assertEquals(3, decoder.capacity());
            int tooLong = params.config().maxPositionEmbeddings() + 1;
            IllegalArgumentException cache = assertThrows(IllegalArgumentException.class, () -> device.decoder(tooLong));
            assertTrue(cache.getMessage().contains("exceeds max_position_embeddings"), cache.getMessage());
        }
    }

    /** The device session, whose decoders also feed every append to a CPU decoder and compare the logits. */
    private static final class StepCheck implements Backend.Session {
        private final Backend.Session device;
        private final Nemotron cpu;
        private final String name;
        int appends;

        StepCheck(Backend.Session device, Nemotron cpu, String name) {
            this.device = device;
            this.cpu = cpu;
            this.name = name;
        }

        @Override
        public NemotronConfig config() {
            return device.config();
        }

        @Override
        public Backend.Decoder decoder(int maxSeq) {
            Backend.Decoder onDevice = device.decoder(maxSeq);
            CpuDecoder onCpu = new CpuDecoder(cpu, maxSeq);
            return new Backend.Decoder() {
                @Override
                public float[] append(int[] tokens) {
                    float[] got = onDevice.append(tokens);
                    float[] want = onCpu.append(tokens);
                    assertClose(want, got, 1e-4, name + " logits after position " + onCpu.length());
                    assertEquals(onCpu.length(), onDevice.length(), name + " length");
                    appends++;
                    return got;
                }

                @Override
                public int length() {
                    return onDevice.length();
                }

                @Override
                public int capacity() {
                    return onDevice.capacity();
                }

                @Override
                public void close() {
                    onDevice.close();
                    onCpu.close();
                }
            };
        }

        @Override
        public float[] forward(Batch batch, ForwardObserver observer) {
            return device.forward(batch, observer);
        }

        @Override
        public double crossEntropyGradients(Batch batch, Parameters grads) {
            return device.crossEntropyGradients(batch, grads);
        }

        @Override
        public double klGradients(Batch batch, float[] teacherLogits, float tau, Parameters grads) {
            return device.klGradients(batch, teacherLogits, tau, grads);
        }

        @Override
        public Backend.Training training(Loss loss, int batch, int seq, AdamWSettings settings) {
            return device.training(loss, batch, seq, settings);
        }

        @Override
        public void close() {
            device.close();
        }
    }
}
