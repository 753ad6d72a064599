package minitron4j.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What a device backend takes from the token classifier's dropout: the mask as scales, which
 * multiplied in reproduce {@link Dropout#forward}'s values exactly, and the key of a pass, given only
 * for token classification in training with p &gt; 0.
 */
class DropoutTest {
    @Test
    void scalesMultipliedInAreTheForwardPass() {
        int n = 1000;
        double p = 0.3;
        float[] x = new float[n], want = new float[n], scales = new float[n], got = new float[n];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        Dropout.forward(want, x, n, p, 42L);
        Dropout.scales(scales, n, p, 42L);
        for (int i = 0; i < n; i++) got[i] = x[i] * scales[i];
        assertArrayEquals(want, got, 0f); // equal values (a dropped negative entry is -0 here)
        int dropped = 0;
        for (float s : scales) dropped += s == 0 ? 1 : 0;
        assertEquals(p * n, dropped, 0.05 * n);
    }

    @Test
    void onlyATokenClassifiersTrainingPassHasAKey() {
        NemotronConfig base = NemotronConfig.of(11, 8, 16, 1, 2, 1, 4, false);
        NemotronConfig tagger = base.withHead(new HeadSpec(Architecture.TOKEN_CLASSIFICATION, List.of("O", "B"), null));
        Batch ids = Batch.of(new int[]{1, 2, 3}, 1, 3);
        Batch training = ids.withTargets(new HeadTargets.TokenTags(new int[]{0, 1, 0}, 7L));
        assertEquals(7L, Dropout.headKey(tagger, training));
        assertNull(Dropout.headKey(tagger, ids.withTargets(new HeadTargets.TokenTags(new int[]{0, 1, 0}, null))), "evaluation");
        assertNull(Dropout.headKey(tagger, ids), "no targets");
        ObjectNode noDropout = JsonNodeFactory.instance.objectNode().put("classifier_dropout", 0.0);
        NemotronConfig p0 = new NemotronConfig(11, 8, 16, 1, 2, 1, 4, 0.5, 10000.0, 1e-5, 1024, false, 2, 3, 0, 0.02, tagger.head(),
                noDropout);
        assertNull(Dropout.headKey(p0, training), "classifier_dropout 0");
        NemotronConfig classifier = base.withHead(tagger.head().withArchitecture(Architecture.SEQUENCE_CLASSIFICATION));
        assertNull(Dropout.headKey(classifier, training), "sequence classification has no dropout");
    }
}
