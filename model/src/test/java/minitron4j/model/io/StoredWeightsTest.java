package minitron4j.model.io;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Fixtures;
import minitron4j.model.backend.Generator;
import minitron4j.model.ModelFormatException;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import static minitron4j.model.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Weights kept as stored: bf16 matrices read from the mapped file by the kernels give HF's logits
 * and the fp32 path's results; init, convert and the streaming reader keep every value.
 */
class StoredWeightsTest {
    /** Minitron-4B's proportions at a small size (H:F 1:3, 3 query heads per KV head). */
    private static final NemotronConfig MINITRON_SHAPED = NemotronConfig.of(500, 192, 576, 2, 6, 2, 32, false);

    private static float[] logits(Parameters p, Batch batch) {
        Nemotron model = new Nemotron(p);
        Activations acts = model.inferenceActivations(batch.batch(), batch.seq());
        model.forward(batch, acts, null);
        return acts.logits().clone();
    }

    private static Batch batch(int vocab, int b, int t) {
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 5) % vocab;
        return Batch.of(ids, b, t);
    }

    @Test
    void shardedBf16AsStoredGivesHfLogits() throws IOException {
        Path dir = Fixtures.hfFormats("sharded-bf16");
        Checkpoint.LoadedModel m = Checkpoint.load(dir, WeightStorage.AS_STORED);
        assertTrue(m.params().isAsStored());
        assertEquals(Dtype.BF16, m.dtype());
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("forward.safetensors"))) {
            var ids = golden.readInts("input_ids");
            Batch batch = Batch.of(ids.data(), ids.shape()[0], ids.shape()[1]);
            assertClose(golden.readFloats("logits").data(), logits(m.params(), batch), 1e-4, "as-stored bf16 logits");
            assertClose(logits(Checkpoint.load(dir).params(), batch), logits(m.params(), batch), 1e-5, "as stored vs fp32");
        }
    }

    @Test
    void fp32CheckpointsStayFp32AsStored() throws IOException {
        Checkpoint.LoadedModel m = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa"), WeightStorage.AS_STORED);
        assertFalse(m.params().isAsStored());
    }

    @Test
    void trainingAStoredPoolIsRefusedWithAReason(@TempDir Path tmp) throws IOException {
        Parameters p = Parameters.initialize(MINITRON_SHAPED, 3);
        Checkpoint.save(tmp.resolve("m"), MINITRON_SHAPED, p, Dtype.BF16);
        Parameters stored = Checkpoint.load(tmp.resolve("m"), WeightStorage.AS_STORED).params();
        IllegalStateException e = assertThrows(IllegalStateException.class, stored::tensors);
        assertTrue(e.getMessage().contains("kept as stored BF16") && e.getMessage().contains("fp32"), e.getMessage());
        assertEquals(p.count(), stored.count());
        // toF32 decodes exactly what the fp32 loader reads
        Parameters f32 = Checkpoint.load(tmp.resolve("m")).params();
        for (Tensor t : stored.toF32().tensors()) assertArrayEquals(f32.data(t.name()), t.data(), t.name());
    }

    @Test
    void bf16AndF16AsStoredMatchTheFp32PathAndGenerateTheSameTokens(@TempDir Path tmp) throws IOException {
        Parameters p = Parameters.initialize(MINITRON_SHAPED, 11);
        for (Dtype d : new Dtype[]{Dtype.BF16, Dtype.F16}) {
            Path dir = tmp.resolve(d.name());
            Checkpoint.save(dir, MINITRON_SHAPED, p, d, 300_000);
            Parameters f32 = Checkpoint.load(dir).params();
            for (String placement : new String[]{"resident", "mapped"}) {
                System.setProperty("minitron4j.weights", placement);
                Parameters stored;
                try {
                    stored = Checkpoint.load(dir, WeightStorage.AS_STORED).params();
                } finally {
                    System.clearProperty("minitron4j.weights");
                }
                String what = d + " " + placement;
                // 17 rows take the packed product, 9 the row-by-row widening, one row the matrix-vector path
                for (Batch b : new Batch[]{batch(500, 1, 17), batch(500, 1, 1), batch(500, 1, 9), batch(500, 2, 9)})
                    assertClose(logits(f32, b), logits(stored, b), 1e-5, what + " logits " + b.batch() + "x" + b.seq());
                int[] prompt = {5, 42, 7};
                assertArrayEquals(new Generator(new Nemotron(f32)).generate(prompt, 8, Sampler.greedy(), -1, null).ids(),
                        new Generator(new Nemotron(stored)).generate(prompt, 8, Sampler.greedy(), -1, null).ids(), what + " greedy ids");
            }
        }
    }

    @Test
    void initWritesExactlyTheInitialiserValuesShardedWithItsDtype(@TempDir Path tmp) throws IOException {
        Parameters want = Parameters.initialize(MINITRON_SHAPED, 7);
        RandomCheckpoint.write(tmp.resolve("f32"), MINITRON_SHAPED, Dtype.F32, 7);
        Parameters got = Checkpoint.load(tmp.resolve("f32")).params();
        for (Tensor t : want.tensors()) assertArrayEquals(t.data(), got.data(t.name()), t.name());

        RandomCheckpoint.write(tmp.resolve("bf16"), MINITRON_SHAPED, Dtype.BF16, 7, 200_000);
        assertTrue(Files.exists(tmp.resolve("bf16/model.safetensors.index.json")));
        assertTrue(Files.readString(tmp.resolve("bf16/config.json")).contains("\"torch_dtype\" : \"bfloat16\""));
        Checkpoint.LoadedModel bf16 = Checkpoint.load(tmp.resolve("bf16"));
        assertEquals(Dtype.BF16, bf16.dtype());
        for (Tensor t : want.tensors()) {
            float[] rounded = t.data().clone();
            for (int i = 0; i < rounded.length; i++) rounded[i] = Dtype.roundToBf16(rounded[i]);
            assertArrayEquals(rounded, bf16.params().data(t.name()), t.name());
        }
        for (int l = 0; l < MINITRON_SHAPED.numHiddenLayers(); l++) // LayerNorm1P starts at 0 (scale 1 + w)
            for (float x : bf16.params().data(Parameters.layerPrefix(l) + "input_layernorm.weight")) assertEquals(0f, x);
    }

    @Test
    void streamingReaderReadsHeadersOnlyAndRowsExactly(@TempDir Path tmp) throws IOException {
        Parameters p = Parameters.initialize(MINITRON_SHAPED, 5);
        Checkpoint.save(tmp.resolve("m"), MINITRON_SHAPED, p, Dtype.BF16, 200_000);
        Parameters f32 = Checkpoint.load(tmp.resolve("m")).params();
        try (StreamingCheckpoint s = StreamingCheckpoint.open(tmp.resolve("m"))) {
            assertEquals(Dtype.BF16, s.dtype());
            assertEquals(2 * p.count(), s.weightBytes());
            assertEquals(Parameters.expectedShapes(MINITRON_SHAPED).size(), s.tensors().size());
            float[] row = new float[MINITRON_SHAPED.hiddenSize()];
            for (int r : new int[]{0, 1, 499}) {
                s.readRow(Parameters.EMBED, r, row);
                float[] want = java.util.Arrays.copyOfRange(f32.embedding(), r * row.length, (r + 1) * row.length);
                assertArrayEquals(want, row, "embedding row " + r);
            }
        }
    }

    @Test
    void aTruncatedShardIsNamedBeforeAnythingIsRead(@TempDir Path tmp) throws IOException {
        Parameters p = Parameters.initialize(MINITRON_SHAPED, 5);
        Path dir = tmp.resolve("m");
        Checkpoint.save(dir, MINITRON_SHAPED, p, Dtype.BF16, 200_000);
        Path shard;
        try (var files = Files.list(dir)) {
            shard = files.filter(f -> f.getFileName().toString().startsWith("model-00002-of-")).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> StreamingCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(shard.getFileName().toString()), e.getMessage());
        assertThrows(ModelFormatException.class, () -> Checkpoint.load(dir, WeightStorage.AS_STORED));
    }

    @Test
    void convertStreamsAndKeepsOrChangesTheDtype(@TempDir Path tmp) throws IOException {
        Parameters p = Parameters.initialize(MINITRON_SHAPED, 9);
        Checkpoint.save(tmp.resolve("src"), MINITRON_SHAPED, p, Dtype.BF16, 200_000);
        Checkpoint.convert(tmp.resolve("src"), tmp.resolve("same"), Optional.empty());
        Checkpoint.convert(tmp.resolve("src"), tmp.resolve("f32"), Optional.of(Dtype.F32));
        Parameters src = Checkpoint.load(tmp.resolve("src")).params();
        Checkpoint.LoadedModel same = Checkpoint.load(tmp.resolve("same")), f32 = Checkpoint.load(tmp.resolve("f32"));
        assertEquals(Dtype.BF16, same.dtype());
        assertEquals(Dtype.F32, f32.dtype());
        for (Tensor t : src.tensors()) {
            assertArrayEquals(t.data(), same.params().data(t.name()), t.name());
            assertArrayEquals(t.data(), f32.params().data(t.name()), t.name());
        }
    }
}
