package minitron4j.pruning;

import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.HeadSpec;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.backend.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pruning keeps every model-card class consistent: the head's input columns follow the kept
 * embedding channels (its biases and outputs stay), the result equals the hand cut, and pruning
 * dead neurons or heads leaves the head's outputs unchanged.
 */
class HeadPruningTest {
    static NemotronConfig config(Architecture a) {
        return TinyModels.gqa().withHead(new HeadSpec(a, List.of("a", "b", "c"), null));
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void widthPruningTrimsTheHeadLikeTheHandCut(Architecture a) {
        NemotronConfig c = config(a);
        Parameters p = TinyModels.parameters(c, 31);
        List<Batch> batches = TinyModels.batches(8);
        ImportanceScores s = Pruning.importance(new CpuBackend(), p, batches, ImportanceOptions.defaults());
        int heads = PruningPlan.validHeadCounts(c).get(0);
        PruningPlan plan = PruningPlan.of(c, s, new PruningTarget(11, heads, 10, null, new int[]{1}, null), PruningOptions.defaults());
        Parameters trimmed = Trimmer.apply(p, plan);
        assertEquals(a, trimmed.config().architecture());
        assertEquals(c.head(), trimmed.config().head());
        Parameters byHand = HandCut.cut(p, plan.prunedConfig(), plan.embedding(), plan.layers(), plan.heads(), plan.neurons());
        for (Tensor t : byHand.tensors()) assertArrayEquals(t.data(), trimmed.data(t.name()), t.name());
        if (a.headWeight() != null) assertEquals(11, trimmed.shape(a.headWeight())[1]);
        for (Batch b : batches) assertArrayEquals(TinyModels.logits(byHand, b), TinyModels.logits(trimmed, b));
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"SEQUENCE_CLASSIFICATION", "QUESTION_ANSWERING", "TOKEN_CLASSIFICATION"})
    void deadNeuronsPrunedLeaveTheHeadOutputsUnchanged(Architecture a) {
        NemotronConfig c = config(a);
        Parameters p = TinyModels.parameters(c, 32);
        int h = c.hiddenSize();
        for (int l = 0; l < c.numHiddenLayers(); l++)
            for (int j : new int[]{l, 9, 15}) Arrays.fill(p.layer(l).up(), j * h, (j + 1) * h, 0f);
        TrimmerTest.killOutputBlocks(p, 1);
        List<Batch> batches = TinyModels.batches(9);
        ImportanceScores s = Pruning.importance(new CpuBackend(), p, batches, ImportanceOptions.defaults());
        PruningPlan plan = PruningPlan.of(c, s, PruningTarget.keepAll().withIntermediateSize(c.intermediateSize() - 3),
                PruningOptions.defaults());
        Parameters trimmed = Trimmer.apply(p, plan);
        for (Batch b : batches) {
            float[] x = TinyModels.logits(p, b), y = TinyModels.logits(trimmed, b);
            double diff = TinyModels.maxDifference(x, y, b, c.headOutputs());
            assertTrue(diff <= 1e-5 * TinyModels.maxAbs(x), a + ": outputs differ by " + diff);
        }
    }
}
