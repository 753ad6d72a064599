package minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Sampler}: greedy at temperature 0, draws confined by top-k, and bad settings refused by name. */
class SamplerTest {
    private static final float[] LOGITS = {0.5f, 3f, -1f, 2.5f, 0f};

    @Test
    void temperatureZeroIsGreedy() {
        assertEquals(1, new Sampler(0f, 0, 1f, 7).next(LOGITS, 0, LOGITS.length));
        assertEquals(1, Sampler.greedy().next(LOGITS, 0, LOGITS.length));
    }

    @Test
    void topKKeepsTheDrawsAmongTheLargest() {
        Sampler s = new Sampler(2f, 2, 1f, 3);
        boolean[] seen = new boolean[LOGITS.length];
        for (int i = 0; i < 200; i++) seen[s.next(LOGITS, 0, LOGITS.length)] = true;
        assertTrue(seen[1] && seen[3], "both of the top two drawn");
        assertTrue(!seen[0] && !seen[2] && !seen[4], "nothing outside the top two");
    }

    @Test
    void badSettingsAreRefusedWithTheOptionName() {
        for (float t : new float[]{-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sampler(t, 0, 1f, 0));
            assertTrue(e.getMessage().startsWith("--temperature must be a finite number >= 0"), e.getMessage());
        }
        for (float p : new float[]{0f, 1.5f, Float.NaN})
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 0, p, 0)).getMessage().startsWith("--top-p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, -1, 1f, 0)).getMessage().startsWith("--top-k"));
    }
}
