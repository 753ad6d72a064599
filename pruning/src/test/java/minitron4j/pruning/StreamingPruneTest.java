package minitron4j.pruning;

import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.WeightStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code prune} of a sharded bf16 checkpoint, cut row by row from the file while the output is
 * written: the same values as the in-memory cut of the fp32-loaded model (head folds included), in
 * the source's dtype unless asked otherwise.
 */
class StreamingPruneTest {
    @Test
    void streamedCutEqualsTheInMemoryCutAndKeepsBf16(@TempDir Path tmp) throws Exception {
        NemotronConfig c = TinyModels.gqa();
        Path src = tmp.resolve("src");
        Checkpoint.save(src, c, TinyModels.parameters(c, 3), Dtype.BF16, 2_000);
        assertTrue(Files.exists(src.resolve("model.safetensors.index.json")));
        PruningTarget target = PruningTarget.keepAll().withIntermediateSize(13).withNumAttentionHeads(2);
        PruningOptions options = PruningOptions.defaults().withRandomSeed(4L).withFoldHeads(true);

        PruningPlan plan = Pruning.prune(src, null, target, options, tmp.resolve("bf16"));
        Pruning.prune(src, null, target, options, tmp.resolve("f32"), Dtype.F32);
        Parameters fp32Source = Checkpoint.load(src).params();
        Parameters want = Trimmer.apply(fp32Source, plan);
        Parameters fromStored = Trimmer.apply(Checkpoint.load(src, WeightStorage.AS_STORED).params(), plan);

        Checkpoint.LoadedModel bf16 = Checkpoint.load(tmp.resolve("bf16")), f32 = Checkpoint.load(tmp.resolve("f32"));
        assertEquals(Dtype.BF16, bf16.dtype());
        assertEquals(Dtype.F32, f32.dtype());
        assertEquals(plan.prunedConfig(), bf16.config());
        for (Tensor t : want.tensors()) {
            float[] rounded = t.data().clone();
            for (int i = 0; i < rounded.length; i++) rounded[i] = Dtype.roundToBf16(rounded[i]);
            assertArrayEquals(rounded, bf16.params().data(t.name()), t.name() + " bf16");
            assertArrayEquals(t.data(), f32.params().data(t.name()), t.name() + " f32");
            assertArrayEquals(t.data(), fromStored.data(t.name()), t.name() + " from the mapped pool");
        }
    }

    @Test
    void importanceOfAStoredPoolEqualsTheFp32OneDepthLossIncluded(@TempDir Path tmp) throws Exception {
        NemotronConfig c = TinyModels.gqa();
        Checkpoint.save(tmp.resolve("m"), c, TinyModels.parameters(c, 8), Dtype.BF16);
        java.util.SplittableRandom r = new java.util.SplittableRandom(2);
        var batches = java.util.List.of(TinyModels.batch(r, 2, 9, new int[]{9, 5}), TinyModels.batch(r, 2, 9, null));
        ImportanceOptions options = ImportanceOptions.defaults().withDepthLoss(true);
        ImportanceScores stored = Pruning.importance(new CpuBackend(), 
                Checkpoint.load(tmp.resolve("m"), WeightStorage.AS_STORED).params(), batches, options);
        ImportanceScores fp32 = Pruning.importance(new CpuBackend(), Checkpoint.load(tmp.resolve("m")).params(),
                batches, options);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            assertEquals(fp32.layersLoss()[l], stored.layersLoss()[l], 1e-4 * (1 + Math.abs(fp32.layersLoss()[l])), "layers_loss " + l);
            assertEquals(fp32.layers()[l], stored.layers()[l], 1e-4, "layers " + l);
        }
    }
}
