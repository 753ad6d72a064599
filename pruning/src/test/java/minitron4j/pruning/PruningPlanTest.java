package minitron4j.pruning;

import minitron4j.model.NemotronConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PruningPlanTest {

    static String refused(NemotronConfig c, PruningTarget t) {
        return assertThrows(IllegalArgumentException.class,
                () -> PruningPlan.of(c, TrimmerTest.scores(c, flatHeads(c)), t, PruningOptions.defaults())).getMessage();
    }

    static double[][] flatHeads(NemotronConfig c) {
        double[][] h = new double[c.numHiddenLayers()][];
        for (int l = 0; l < h.length; l++) {
            h[l] = new double[c.numAttentionHeads()];
            for (int k = 0; k < h[l].length; k++) h[l][k] = k;
        }
        return h;
    }

    @Test
    void invalidTargetsAreRefusedNamingTheValidOnes() {
        NemotronConfig gqa = NemotronConfig.of(41, 16, 24, 3, 8, 2, 8, false);
        assertEquals("num_attention_heads 3 is not a valid target: with GQA (8 heads in 2 KV groups) the target must be"
                + " a multiple of num_key_value_heads 2; valid: 2, 4, 6, 8", refused(gqa, PruningTarget.keepAll().withNumAttentionHeads(3)));
        assertTrue(refused(gqa, PruningTarget.keepAll().withNumAttentionHeads(10)).endsWith("valid: 2, 4, 6, 8"));
        assertEquals("num_attention_heads 5 is not a valid target: with plain multi-head attention (4 heads, each its own K/V)"
                + " any count from 1 to 4 works; valid: 1, 2, 3, 4", refused(TinyModels.mha(), PruningTarget.keepAll().withNumAttentionHeads(5)));
        assertEquals("hidden_size 17 is not a valid target: the model's hidden_size is 16, choose 1..16",
                refused(gqa, PruningTarget.keepAll().withHiddenSize(17)));
        assertEquals("intermediate_size 0 is not a valid target: the model's intermediate_size is 24, choose 1..24",
                refused(gqa, PruningTarget.keepAll().withIntermediateSize(0)));
        assertEquals("num_hidden_layers 4 is not a valid target: the model's num_hidden_layers is 3, choose 1..3",
                refused(gqa, PruningTarget.keepAll().withNumLayers(4)));
        assertEquals("--drop-layers 3 is not a layer of this model: choose from 0..2",
                refused(gqa, PruningTarget.keepAll().withDropLayers(0, 3)));
        assertEquals("--drop-layers names all 3 layers; at least one must stay",
                refused(gqa, PruningTarget.keepAll().withDropLayers(2, 0, 1)));
        assertThrows(IllegalArgumentException.class, () -> new PruningTarget(null, null, null, 2, new int[]{1}, null));
        assertEquals("no importance scores: give --scores SCORES.json or --random --seed S",
                assertThrows(IllegalArgumentException.class, () -> PruningPlan.of(gqa, null, PruningTarget.keepAll(),
                        PruningOptions.defaults())).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PruningPlan.of(TinyModels.gqa(),
                TrimmerTest.scores(gqa, flatHeads(gqa)), PruningTarget.keepAll(), PruningOptions.defaults()))
                .getMessage().contains("heads[0] has 8 entries but the model's num_attention_heads is 4"));
    }

    @Test
    void gqaGroupsKeepTheSameNumberOfHeadsEach() {
        NemotronConfig c = NemotronConfig.of(41, 16, 24, 2, 6, 2, 8, false); // groups {0,1,2} and {3,4,5}
        double[][] heads = {{9, 8, 7, 1, 2, 3}, {1, 2, 3, 9, 8, 7}};
        PruningPlan plan = PruningPlan.of(c, TrimmerTest.scores(c, heads), PruningTarget.keepAll().withNumAttentionHeads(4),
                PruningOptions.defaults());
        assertArrayEquals(new int[]{0, 1, 4, 5}, plan.heads()[0]); // not the global top four 0, 1, 2, 5
        assertArrayEquals(new int[]{1, 2, 3, 4}, plan.heads()[1]);
        assertEquals(4, plan.prunedConfig().numAttentionHeads());
        assertEquals(2, plan.prunedConfig().numKeyValueHeads());
        assertThrows(IllegalArgumentException.class, () -> new PruningPlan(c, plan.embedding(), plan.layers(),
                new int[][]{{0, 1, 2, 3}, {0, 1, 2, 3}}, plan.neurons(), plan.folds()));
    }

    @Test
    void mhaKeepsAnyCountAndItsKvHeadsFollow() {
        NemotronConfig c = TinyModels.mha();
        double[][] heads = {{1, 4, 3, 2}, {4, 3, 2, 1}, {1, 2, 3, 4}};
        PruningPlan plan = PruningPlan.of(c, TrimmerTest.scores(c, heads), PruningTarget.keepAll().withNumAttentionHeads(3),
                PruningOptions.defaults());
        assertArrayEquals(new int[]{1, 2, 3}, plan.heads()[0]);
        assertArrayEquals(new int[]{0, 1, 2}, plan.heads()[1]);
        assertEquals(3, plan.prunedConfig().numKeyValueHeads());
    }

    @Test
    void widthKeepsTheTopUnitsInTheirOriginalOrder() {
        NemotronConfig c = TinyModels.gqa();
        ImportanceScores s = TrimmerTest.scores(c, flatHeads(c));
        s.embedding()[15] = 100;
        s.neurons()[1][23] = 100;
        PruningPlan plan = PruningPlan.of(c, s, new PruningTarget(3, null, 2, null, null, null), PruningOptions.defaults());
        assertArrayEquals(new int[]{0, 1, 15}, plan.embedding());
        assertArrayEquals(new int[]{0, 1}, plan.neurons()[0]);
        assertArrayEquals(new int[]{0, 23}, plan.neurons()[1]);
    }

    @Test
    void depthIsChosenByLowestScoreExplicitListOrContiguousBlock() {
        NemotronConfig c = NemotronConfig.of(41, 16, 24, 6, 4, 2, 8, false);
        ImportanceScores s = TrimmerTest.scores(c, flatHeads(c));
        double[] bi = {0.9, 0.2, 0.5, 0.1, 0.6, 0.05};
        System.arraycopy(bi, 0, s.layers(), 0, 6);
        assertArrayEquals(new int[]{0, 2, 4}, plan(c, s, PruningTarget.keepAll().withNumLayers(3)).layers());
        // blocks of three: sums 1.6, 0.8, 1.2, 0.75 -> drop 3, 4, 5
        assertArrayEquals(new int[]{0, 1, 2}, plan(c, s, PruningTarget.keepAll().withDropBlock(3)).layers());
        assertArrayEquals(new int[]{0, 2, 3, 5}, plan(c, s, PruningTarget.keepAll().withDropLayers(4, 1)).layers());
        // heads and neurons follow the kept layers
        assertEquals(4, plan(c, s, PruningTarget.keepAll().withNumLayers(4)).heads().length);
    }

    static PruningPlan plan(NemotronConfig c, ImportanceScores s, PruningTarget t) {
        return PruningPlan.of(c, s, t, PruningOptions.defaults());
    }

    @Test
    void randomSelectionIsDeterministicBySeedAndNeedsNoScores() {
        NemotronConfig c = NemotronConfig.of(41, 32, 64, 6, 8, 2, 8, false);
        PruningTarget t = new PruningTarget(16, 4, 32, 4, null, null);
        PruningPlan a = PruningPlan.of(c, null, t, PruningOptions.defaults().withRandomSeed(42L));
        PruningPlan b = PruningPlan.of(c, null, t, PruningOptions.defaults().withRandomSeed(42L));
        PruningPlan other = PruningPlan.of(c, null, t, PruningOptions.defaults().withRandomSeed(43L));
        assertArrayEquals(a.embedding(), b.embedding());
        assertArrayEquals(a.layers(), b.layers());
        for (int i = 0; i < a.layers().length; i++) {
            assertArrayEquals(a.heads()[i], b.heads()[i]);
            assertArrayEquals(a.neurons()[i], b.neurons()[i]);
        }
        assertFalse(java.util.Arrays.equals(a.embedding(), other.embedding()));
        assertEquals(16, a.embedding().length);
        assertEquals(List.of(4, 4, 4, 4), java.util.Arrays.stream(a.heads()).map(h -> h.length).toList());
    }
}
