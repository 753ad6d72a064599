package minitron4j.model;

import minitron4j.model.loss.HeadLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every task head's forward and backward against a double-precision reference (HF's definitions,
 * written out in {@link ReferenceHeads}): outputs to 1e-5 relative, the loss, and every parameter's
 * gradient against central finite differences, on a tiny GQA model with odd sizes and padded rows.
 */
class HeadGradientCheckTest {
    /** The cases: a class, its labels and problem type, and targets for a [3, 7] batch. */
    enum Case {
        SINGLE_LABEL, REGRESSION, MULTI_LABEL, TOKEN_TAGS, TOKEN_TAGS_DROPOUT, SPANS
    }

    static final int B = 3, T = 7, V = 37;
    static final int[] LENGTHS = {7, 4, 1};

    static NemotronConfig config(Case c) {
        NemotronConfig base = NemotronConfig.of(V, 12, 19, 2, 4, 2, 8, false); // pad_token_id 0
        HeadSpec head = switch (c) {
            case SINGLE_LABEL -> new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("a", "b", "c"), null);
            case REGRESSION -> new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("score"), null);
            case MULTI_LABEL -> new HeadSpec(Architecture.SEQUENCE_CLASSIFICATION, List.of("x", "y", "z", "w"), null);
            case TOKEN_TAGS, TOKEN_TAGS_DROPOUT -> new HeadSpec(Architecture.TOKEN_CLASSIFICATION, List.of("O", "B", "I", "E", "S"), null);
            case SPANS -> new HeadSpec(Architecture.QUESTION_ANSWERING, HeadSpec.defaultLabels(2), null);
        };
        return base.withHead(head);
    }

    /** Right-padded ids (pad id 0 after each row's length, never inside it) with the case's targets. */
    static Batch batch(Case c, SplittableRandom r) {
        int[] ids = new int[B * T];
        for (int b = 0; b < B; b++) for (int t = 0; t < LENGTHS[b]; t++) ids[b * T + t] = 1 + r.nextInt(V - 1);
        HeadTargets targets = switch (c) {
            case SINGLE_LABEL -> new HeadTargets.SequenceClasses(new int[]{2, -100, 0});
            case REGRESSION -> new HeadTargets.SequenceValues(new float[]{0.5f, -1.25f, 2f}, 1);
            case MULTI_LABEL -> new HeadTargets.SequenceValues(new float[]{1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0}, 4);
            case TOKEN_TAGS, TOKEN_TAGS_DROPOUT -> {
                int[] tags = new int[B * T];
                for (int i = 0; i < tags.length; i++) tags[i] = ids[i] == 0 ? -100 : r.nextInt(5);
                yield new HeadTargets.TokenTags(tags, c == Case.TOKEN_TAGS_DROPOUT ? 12345L : null);
            }
            // row 1's end is past T (ignored), row 2's start is negative (clamped to 0, counted)
            case SPANS -> new HeadTargets.Spans(new int[]{3, 1, -100}, new int[]{5, 9, 0});
        };
        return new Batch(ids, B, T, LENGTHS, targets);
    }

    static Parameters parameters(NemotronConfig c, SplittableRandom r) {
        Parameters p = Parameters.initialize(c, 7);
        for (Tensor t : p.tensors()) {
            boolean zeroAtInit = t.name().contains("norm") || t.name().endsWith(".bias");
            for (int i = 0; i < t.size(); i++)
                t.data()[i] = zeroAtInit ? (float) (r.nextDouble() - 0.5) * 0.4f : t.data()[i] * 8;
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void outputsMatchTheReference(Case kase) {
        SplittableRandom r = new SplittableRandom(kase.ordinal());
        NemotronConfig c = config(kase);
        Parameters p = parameters(c, r);
        Batch batch = batch(kase, r);
        Nemotron model = new Nemotron(p);
        Activations acts = model.inferenceActivations(B, T);
        model.forward(batch.withTargets(null), acts, null);
        double[] want = ReferenceNemotron.logits(p, batch.withTargets(null));
        double scale = 0;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++)
            assertEquals(want[i], acts.logits()[i], 1e-5 * scale, "output " + i);
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void backwardMatchesFiniteDifferences(Case kase) {
        SplittableRandom r = new SplittableRandom(kase.ordinal() + 100);
        NemotronConfig c = config(kase);
        Parameters p = parameters(c, r);
        Batch batch = batch(kase, r);
        Nemotron model = new Nemotron(p);
        Parameters grads = Parameters.zeros(c);
        double loss = model.step(batch, model.trainingActivations(B, T), grads, HeadLoss.of(c, 1f));
        assertEquals(ReferenceHeads.loss(p, batch), loss, 1e-5 * Math.abs(loss));

        for (Tensor t : p.tensors()) {
            float[] g = grads.data(t.name());
            double maxAbs = 0;
            for (float v : g) maxAbs = Math.max(maxAbs, Math.abs(v));
            if (t.name().equals(Parameters.EMBED)) { // torch's padding_idx: the pad token's row gets no gradient, whatever the loss
                for (int j = 0; j < c.hiddenSize(); j++) assertEquals(0f, g[c.padTokenId() * c.hiddenSize() + j], "pad row");
            } else {
                assertTrue(maxAbs > 0, t.name() + " has an all-zero gradient"); // the embedding's unused rows are zero
            }
            for (int trial = 0; trial < 5; trial++) {
                int i = r.nextInt(t.size());
                if (t.name().equals(Parameters.EMBED) && i / c.hiddenSize() == c.padTokenId()) continue;
                double fd = CentralDifference.of(t, i, () -> ReferenceHeads.loss(p, batch));
                assertEquals(fd, g[i], 1e-3 * maxAbs + 1e-6, kase + " " + t.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void aLossOverNoTargetIsHfsNaN() {
        NemotronConfig c = config(Case.TOKEN_TAGS);
        int[] tags = new int[B * T];
        java.util.Arrays.fill(tags, -100);
        Batch batch = batch(Case.TOKEN_TAGS, new SplittableRandom(1)).withTargets(new HeadTargets.TokenTags(tags, null));
        assertTrue(Double.isNaN(HeadLoss.value(c, new float[B * T * c.headOutputs()], batch)));
        NemotronConfig qa = config(Case.SPANS);
        Batch beyond = batch(Case.SPANS, new SplittableRandom(1)).withTargets(new HeadTargets.Spans(new int[]{T, 9, 20}, new int[]{T, T, 8}));
        assertTrue(Double.isNaN(HeadLoss.value(qa, new float[B * T * 2], beyond)));
    }

    @Test
    void poolingFollowsHfWithoutAPadToken() {
        NemotronConfig c = config(Case.SINGLE_LABEL);
        NemotronConfig noPad = new NemotronConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.partialRotaryFactor(), c.ropeTheta(), c.normEps(),
                c.maxPositionEmbeddings(), false, 2, 3, NemotronConfig.NO_PAD, 0.02, c.head(), null);
        Batch two = Batch.of(new int[]{5, 6, 7, 8}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeadLoss.pooledPositions(noPad, two));
        assertTrue(e.getMessage().startsWith("Cannot handle batch sizes > 1 if no padding token is defined."));
        assertEquals(1, HeadLoss.pooledPositions(noPad, Batch.of(new int[]{0, 0}, 1, 2))[0]); // the last position, pad or not
        // with a pad token: the rightmost non-pad token, also for left padding; 0 for an all-pad row
        int[] ids = {0, 0, 5, 6, 4, 0, 9, 0, 0, 0, 0, 0};
        int[] pos = HeadLoss.pooledPositions(c, Batch.of(ids, 3, 4));
        assertEquals(3, pos[0]);
        assertEquals(2, pos[1]);
        assertEquals(0, pos[2]);
    }
}
