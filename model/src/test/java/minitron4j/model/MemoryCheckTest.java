package minitron4j.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory check names the estimate, the limit and the remedy, and lets what fits through. */
class MemoryCheckTest {
    private static final long GIB = 1L << 30;

    @Test
    void aHeapOverrunNamesEstimateLimitAndRemedies() {
        MemoryCheck c = MemoryCheck.of("generate").heap("fp32 weights", 17 * GIB).heap("KV cache", GIB)
                .remedy("a smaller --max-new-tokens");
        var e = assertThrows(MemoryCheck.NotEnoughMemoryException.class, () -> c.check(16 * GIB, 24 * GIB));
        assertEquals("generate needs about 18.0 GiB of heap (fp32 weights 17.0 GiB, KV cache 1.0 GiB) but the heap limit is"
                + " 16.0 GiB: MINITRON4J_JAVA_OPTS=-Xmx21g, or a smaller --max-new-tokens", e.getMessage());
    }

    @Test
    void mappedWeightsCountAgainstTheMachineNotTheHeap() {
        MemoryCheck fits = MemoryCheck.of("generate").mapped("mapped 16-bit weights", 16 * GIB).heap("KV cache", GIB);
        assertDoesNotThrow(() -> fits.check(4 * GIB, 24 * GIB));
        MemoryCheck tooBig = MemoryCheck.of("generate").mapped("mapped 16-bit weights", 29 * GIB);
        var e = assertThrows(MemoryCheck.NotEnoughMemoryException.class, () -> tooBig.check(16 * GIB, 24 * GIB));
        assertTrue(e.getMessage().startsWith("generate needs about 29.0 GiB (mapped 16-bit weights 29.0 GiB) but this machine has 24.0 GiB"),
                e.getMessage());
    }

    @Test
    void activationEstimateIsWhatTheBuffersHold() {
        NemotronConfig c = NemotronConfig.of(300, 48, 96, 2, 4, 2, 12, false);
        // the inference buffers of one layer plus the logits, counted by hand
        long n = 2 * 5, h = 48, f = 96, q = 48, kv = 24;
        long floats = 2 * n * h + n * (3 * h + 2 * q + 2 * kv + 2 * f + 4) + n * (h + 2) + n * 300;
        assertEquals(floats * 4, Activations.bytes(c, 2, 5, false, 10));
        assertEquals((floats - n * 300) * 4, Activations.bytes(c, 2, 5, false, 0));
    }
}
