package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrimmerTest {

    static Stream<Arguments> configs() {
        return Stream.of(Arguments.of("gqa", TinyModels.gqa()), Arguments.of("mha", TinyModels.mha()),
                Arguments.of("mqa-tied", TinyModels.mqaTied()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void keepEverythingIsTheIdentity(String name, NemotronConfig c) {
        Parameters p = TinyModels.parameters(c, 21);
        Parameters q = Trimmer.apply(p, PruningPlan.keepAll(c));
        assertEquals(c, q.config());
        for (Tensor t : p.tensors()) assertArrayEquals(t.data(), q.data(t.name()), t.name());
        for (Batch b : TinyModels.batches(4)) assertArrayEquals(TinyModels.logits(p, b), TinyModels.logits(q, b));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void trimmedWeightsAndForwardEqualTheHandCut(String name, NemotronConfig c) {
        Parameters p = TinyModels.parameters(c, 22);
        List<Batch> batches = TinyModels.batches(6);
        ImportanceScores s = Pruning.importance(new CpuBackend(), p, batches, ImportanceOptions.defaults());
        int heads = PruningPlan.validHeadCounts(c).get(0);
        PruningPlan plan = PruningPlan.of(c, s, new PruningTarget(11, heads, 10, null, new int[]{1}, null),
                PruningOptions.defaults());
        Parameters trimmed = Trimmer.apply(p, plan);
        Parameters byHand = HandCut.cut(p, plan.prunedConfig(), plan.embedding(), plan.layers(), plan.heads(), plan.neurons());
        assertEquals(plan.prunedConfig(), trimmed.config());
        assertEquals(11, trimmed.config().hiddenSize());
        assertEquals(c.headDim(), trimmed.config().headDim());
        for (Tensor t : byHand.tensors()) assertArrayEquals(t.data(), trimmed.data(t.name()), t.name());
        for (Batch b : batches) assertArrayEquals(TinyModels.logits(byHand, b), TinyModels.logits(trimmed, b));
    }

    @Test
    void deadNeuronsPrunedLeaveTheLogitsUnchanged() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 23);
        int h = c.hiddenSize();
        for (int l = 0; l < c.numHiddenLayers(); l++)
            for (int j : new int[]{l, 7 + l, 13, 20 - l}) Arrays.fill(p.layer(l).up(), j * h, (j + 1) * h, 0f);
        List<Batch> batches = TinyModels.batches(7);
        ImportanceScores s = Pruning.importance(new CpuBackend(), p, batches, ImportanceOptions.defaults());
        PruningPlan plan = PruningPlan.of(c, s, PruningTarget.keepAll().withIntermediateSize(c.intermediateSize() - 4),
                PruningOptions.defaults());
        for (int l = 0; l < c.numHiddenLayers(); l++)
            for (int j : new int[]{l, 7 + l, 13, 20 - l}) assertTrue(Arrays.stream(plan.neurons()[l]).noneMatch(x -> x == j));
        assertSameLogits(p, Trimmer.apply(p, plan), batches);
    }

    @Test
    void deadHeadsPrunedLeaveTheLogitsUnchangedWithGqa() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 24);
        killOutputBlocks(p, 1, 2); // one head in each KV group
        PruningPlan plan = heads(c, new int[]{0, 3});
        Parameters q = Trimmer.apply(p, plan);
        assertEquals(2, q.config().numAttentionHeads());
        assertEquals(2, q.config().numKeyValueHeads());
        assertArrayEquals(p.layer(0).k(), q.layer(0).k()); // GQA: K and V stay whole
        assertArrayEquals(p.layer(2).v(), q.layer(2).v());
        assertSameLogits(p, q, TinyModels.batches(8));
    }

    @Test
    void deadHeadsPrunedWithMhaTakeTheirKeysAndValues() {
        NemotronConfig c = TinyModels.mha();
        Parameters p = TinyModels.parameters(c, 25);
        killOutputBlocks(p, 1, 3);
        PruningPlan plan = heads(c, new int[]{0, 2});
        Parameters q = Trimmer.apply(p, plan);
        int hd = c.headDim(), h = c.hiddenSize();
        assertEquals(2, q.config().numAttentionHeads());
        assertEquals(2, q.config().numKeyValueHeads());
        assertArrayEquals(new int[]{2 * hd, h}, q.get("model.layers.1.self_attn.k_proj.weight").shape());
        float[] k = p.layer(1).k(), kept = q.layer(1).k();
        assertArrayEquals(Arrays.copyOfRange(k, 2 * hd * h, 3 * hd * h), Arrays.copyOfRange(kept, hd * h, 2 * hd * h));
        float[] v = p.layer(1).v(), keptV = q.layer(1).v();
        assertArrayEquals(Arrays.copyOfRange(v, 0, hd * h), Arrays.copyOfRange(keptV, 0, hd * h));
        assertSameLogits(p, q, TinyModels.batches(9));
    }

    @Test
    void foldedHeadsGetTwiceTheirBlockMinusTheirMirror() {
        NemotronConfig c = TinyModels.mqaTied(); // one group of four heads
        Parameters p = TinyModels.parameters(c, 26);
        int l = c.numHiddenLayers();
        double[][] heads = new double[l][];
        for (int i = 0; i < l; i++) heads[i] = new double[]{0.4, 0.9, 0.1, 0.6}; // rank: 1, 3 | 0, 2
        ImportanceScores s = scores(c, heads);
        PruningPlan plan = PruningPlan.of(c, s, PruningTarget.keepAll().withNumAttentionHeads(2),
                PruningOptions.defaults().withFoldHeads(true));
        assertArrayEquals(new int[]{1, 3}, plan.heads()[0]);
        // the lowest kept (3) takes the best pruned (0); the next (1) takes the next (2)
        assertEquals(List.of(new PruningPlan.HeadFold(3, 0), new PruningPlan.HeadFold(1, 2)), plan.folds().get(0));
        Parameters q = Trimmer.apply(p, plan);
        int hd = c.headDim(), h = c.hiddenSize(), w = c.qDim();
        float[] o = p.layer(1).o(), folded = q.layer(1).o();
        for (int r = 0; r < h; r++)
            for (int d = 0; d < hd; d++) {
                assertEquals(2 * o[r * w + hd + d] - o[r * w + 2 * hd + d], folded[r * 2 * hd + d], 0f);
                assertEquals(2 * o[r * w + 3 * hd + d] - o[r * w + d], folded[r * 2 * hd + hd + d], 0f);
            }
        assertArrayEquals(p.layer(1).o(), o, "the source is not touched");
    }

    /** Zeroes the o_proj column blocks of the given heads in every layer: those heads add nothing. */
    static void killOutputBlocks(Parameters p, int... heads) {
        NemotronConfig c = p.config();
        int hd = c.headDim(), w = c.qDim();
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            float[] o = p.layer(l).o();
            for (int r = 0; r < c.hiddenSize(); r++) for (int k : heads) Arrays.fill(o, r * w + k * hd, r * w + (k + 1) * hd, 0f);
        }
    }

    /** A plan that keeps every unit except heads: the given ones in every layer. */
    static PruningPlan heads(NemotronConfig c, int[] kept) {
        int l = c.numHiddenLayers();
        int[][] heads = new int[l][], neurons = new int[l][];
        List<List<PruningPlan.HeadFold>> folds = new ArrayList<>();
        for (int i = 0; i < l; i++) {
            heads[i] = kept;
            neurons[i] = IntStream.range(0, c.intermediateSize()).toArray();
            folds.add(List.of());
        }
        return new PruningPlan(c, IntStream.range(0, c.hiddenSize()).toArray(), IntStream.range(0, l).toArray(), heads, neurons, folds);
    }

    /** Scores with the given head scores and every other unit ranked by index (lower index = more important). */
    static ImportanceScores scores(NemotronConfig c, double[][] heads) {
        int l = c.numHiddenLayers();
        double[][] neurons = new double[l][c.intermediateSize()];
        for (double[] n : neurons) for (int j = 0; j < n.length; j++) n[j] = n.length - j;
        double[] emb = new double[c.hiddenSize()];
        for (int j = 0; j < emb.length; j++) emb[j] = emb.length - j;
        double[] layers = new double[l];
        for (int j = 0; j < l; j++) layers[j] = l - j;
        return new ImportanceScores(emb, heads, neurons, layers, null, ImportanceOptions.defaults(), 1, 1);
    }

    static void assertSameLogits(Parameters a, Parameters b, List<Batch> batches) {
        for (Batch batch : batches) {
            float[] x = TinyModels.logits(a, batch), y = TinyModels.logits(b, batch);
            double diff = TinyModels.maxDifference(x, y, batch, a.config().vocabSize());
            assertTrue(diff <= 1e-5 * TinyModels.maxAbs(x), "logits differ by " + diff + " (max |logit| " + TinyModels.maxAbs(x) + ")");
        }
    }
}
