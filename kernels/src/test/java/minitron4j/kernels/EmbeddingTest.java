package minitron4j.kernels;

import static minitron4j.kernels.Numerics.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Embedding}: the lookup copies (or, from 16-bit tables, converts) the rows asked for; the
 * backward adds each position's gradient into its row, repeated ids summed in token order.
 */
class EmbeddingTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void forwardCopiesTheRowsOfTheIds() {
        Random rnd = new Random(1);
        for (int[] s : new int[][] {{1, 1, 1}, {7, 5, 3}, {50, 130, 67}}) {
            int vocab = s[0], h = s[1], n = s[2];
            float[] table = random(rnd, vocab * h, 1);
            int[] ids = rnd.ints(n, 0, vocab).toArray();
            float[] out = new float[n * h], viaMatrix = new float[n * h];
            Embedding.forward(out, ids, table, n, h);
            Embedding.forward(viaMatrix, ids, WeightMatrix.of(table, vocab, h), n);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(Arrays.copyOfRange(table, ids[i] * h, ids[i] * h + h), Arrays.copyOfRange(out, i * h, i * h + h), "position " + i);
            }
            assertArrayEquals(out, viaMatrix);
        }
    }

    @Test
    void forwardFromABf16TableConvertsEachRow() {
        Random rnd = new Random(2);
        int vocab = 11, h = 37, n = 9;
        MemorySegment bytes = MemorySegment.ofArray(new short[vocab * h]);
        float[] decoded = new float[vocab * h];
        for (int i = 0; i < vocab * h; i++) {
            short bits = HalfFloat.BF16.fromFloat(rnd.nextFloat() * 2 - 1);
            bytes.set(LE, 2L * i, bits);
            decoded[i] = HalfFloat.BF16.toFloat(bits);
        }
        int[] ids = rnd.ints(n, 0, vocab).toArray();
        float[] want = new float[n * h], got = new float[n * h];
        Embedding.forward(want, ids, decoded, n, h);
        Embedding.forward(got, ids, WeightMatrix.of(bytes, HalfFloat.BF16, vocab, h), n);
        assertArrayEquals(want, got);
    }

    @Test
    void backwardSumsRepeatedIdsInTokenOrderWhateverTheThreads() {
        Random rnd = new Random(3);
        int vocab = 9, h = 150, n = 40;
        int[] ids = rnd.ints(n, 0, 4).toArray(); // few distinct ids: many repeats
        float[] dout = random(rnd, n * h, 1);
        float[] start = random(rnd, vocab * h, 1);
        float[] want = start.clone();
        for (int i = 0; i < n; i++) for (int j = 0; j < h; j++) want[ids[i] * h + j] += dout[i * h + j];
        for (int threads : new int[] {1, 3}) {
            Parallel.setThreads(threads);
            float[] dTable = start.clone();
            Embedding.backward(dTable, dout, ids, n, h, -1);
            assertArrayEquals(want, dTable, threads + " threads");
        }
        float[] padded = start.clone();
        Embedding.backward(padded, dout, ids, n, h, 2); // padding_idx 2: that row keeps its value, the others sum as before
        for (int row = 0; row < vocab; row++)
            for (int j = 0; j < h; j++)
                assertEquals(row == 2 ? start[row * h + j] : want[row * h + j], padded[row * h + j], 0f, "row " + row);
        for (int row = 4; row < vocab; row++) {
            for (int j = 0; j < h; j++) assertEquals(start[row * h + j], want[row * h + j], 0f, "untouched row " + row);
        }
    }

    @Test
    void idsOutsideTheVocabularyAreRefusedWithTheirPosition() {
        float[] table = new float[4 * 3], out = new float[2 * 3];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.forward(out, new int[] {1, 4}, table, 2, 3));
        assertTrue(e.getMessage().contains("token id 4 at position 1"), e.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Embedding.forward(out, new int[] {-1, 0}, WeightMatrix.of(table, 4, 3), 2));
        assertTrue(negative.getMessage().contains("token id -1 at position 0"), negative.getMessage());
    }
}
