package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Gemm#linear(float[], float[], WeightMatrix, int)} and {@link Embedding#forward(float[], int[], WeightMatrix, int)}
 * on stored weights against {@link GemmReference#linear} and decoded rows, on shapes that reach every route.
 */
class WeightMatrixTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** rows x out x in: the matrix-vector route, the plain loops, the packed route with partial tiles and blocks. */
    private static final int[][] SHAPES = {
        {1, 257, 3072}, {1, 33, 4099}, {1, 7, 33}, {1, 1, 1}, {1, 300, 5},
        {3, 7, 5}, {5, 33, 129}, {2, 1, 17},
        {13, 37, 531}, {4, 300, 3072}, {16, 70, 701}, {64, 100, 1030}, {300, 70, 513}, {17, 1, 2100}, {2, 2100, 9},
    };

    /**
     * [rows, cols] random values in (-1, 1), rounded to the format, in a segment of exactly its size:
     * off-heap, when unaligned at an odd address, or on the heap (a short[], or a byte[] at an odd offset).
     */
    private static WeightMatrix.Half randomHalf(Arena arena, Random rnd, HalfFloat format, int rows, int cols, boolean unaligned) {
        long size = 2L * rows * cols;
        MemorySegment seg = switch ((unaligned ? 2 : 0) + rnd.nextInt(2)) {
            case 0 -> arena.allocate(size);
            case 1 -> MemorySegment.ofArray(new short[rows * cols]);
            case 2 -> arena.allocate(size + 1).asSlice(1, size);
            default -> MemorySegment.ofArray(new byte[(int) size + 1]).asSlice(1, size);
        };
        for (long i = 0; i < (long) rows * cols; i++) seg.set(LE, 2 * i, format.fromFloat(rnd.nextFloat() * 2 - 1));
        return WeightMatrix.of(seg, format, rows, cols);
    }

    private static float[] fill(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    /** Float sums over k drift like sqrt(k) ulps of the largest product, as in GemmTest. */
    private static void assertClose(float[] want, float[] got, int k, String what) {
        double tol = 8e-6 * Math.sqrt(k) + 1e-30;
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= tol)) {
                throw new AssertionError(what + ": index " + i + " got " + got[i] + " want " + want[i] + " tol " + tol);
            }
        }
    }

    private static float[] linear(WeightMatrix w, float[] x, int rows) {
        float[] out = new float[rows * w.rows()];
        Gemm.linear(out, x, w, rows);
        return out;
    }

    private static float[] reference(WeightMatrix w, float[] x, int rows) {
        float[] out = new float[rows * w.rows()];
        GemmReference.linear(out, x, w, rows);
        return out;
    }

    @Test
    void halfWeightsMatchReferenceOnEveryRoute() {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared()) {
            for (HalfFloat format : HalfFloat.values()) {
                for (int[] s : SHAPES) {
                    int rows = s[0], out = s[1], in = s[2];
                    WeightMatrix.Half w = randomHalf(arena, rnd, format, out, in, rnd.nextBoolean());
                    float[] x = fill(rnd, rows * in);
                    String what = format + " linear rows=" + rows + " out=" + out + " in=" + in;
                    assertClose(reference(w, x, rows), linear(w, x, rows), in, what);
                }
            }
        }
    }

    @Test
    void halfWeightsGiveTheFp32ResultOfTheirDecodedValues() {
        // Packing decodes exactly, so the packed route on 16-bit weights is the fp32 route on their values.
        Random rnd = new Random(2);
        try (Arena arena = Arena.ofShared()) {
            for (HalfFloat format : HalfFloat.values()) {
                WeightMatrix.Half w = randomHalf(arena, rnd, format, 100, 1030, true);
                float[] decoded = new float[100 * 1030], x = fill(rnd, 64 * 1030);
                for (int r = 0; r < 100; r++) w.decodeRow(r, 0, 1030, decoded, r * 1030);
                assertArrayEquals(linear(WeightMatrix.of(decoded, 100, 1030), x, 64), linear(w, x, 64), format.toString());
            }
        }
    }

    @Test
    void matrixVectorRowsAreDotRows() {
        // Rows are summed in pairs half a chunk apart, sharing x; each must still be bitwise its
        // dotRow, whatever the chunks (odd or even lengths, set by the row count and the threads).
        Random rnd = new Random(7);
        int before = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            for (HalfFloat format : HalfFloat.values()) {
                for (int in : new int[] {37, 1001, 3072, 4097}) {
                    for (int out : new int[] {1, 2, 41, 300}) {
                        WeightMatrix.Half w = randomHalf(arena, rnd, format, out, in, rnd.nextBoolean());
                        float[] x = fill(rnd, in);
                        for (int threads = 1; threads <= 3; threads++) {
                            Parallel.setThreads(threads);
                            float[] got = linear(w, x, 1);
                            for (int j = 0; j < out; j++) {
                                assertEquals(Float.floatToRawIntBits(w.dotRow(j, x, 0)), Float.floatToRawIntBits(got[j]),
                                        format + " [" + out + "," + in + "] threads=" + threads + " row " + j);
                            }
                        }
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void fp32WeightsTakeTheOldPathBitForBit() {
        Random rnd = new Random(3);
        for (int[] s : SHAPES) {
            int rows = s[0], out = s[1], in = s[2];
            float[] w = fill(rnd, out * in), x = fill(rnd, rows * in), want = new float[rows * out];
            Gemm.linear(want, x, w, rows, in, out);
            assertArrayEquals(want, linear(WeightMatrix.of(w, out, in), x, rows), "rows=" + rows + " out=" + out + " in=" + in);
        }
    }

    @Test
    void deterministicAcrossThreadCounts() {
        Random rnd = new Random(4);
        int before = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            for (HalfFloat format : HalfFloat.values()) {
                WeightMatrix.Half w = randomHalf(arena, rnd, format, 300, 700, false);
                for (int rows : new int[] {1, 200}) {
                    float[] x = fill(rnd, rows * 700);
                    Parallel.setThreads(1);
                    float[] single = linear(w, x, rows);
                    Parallel.setThreads(3);
                    assertArrayEquals(single, linear(w, x, rows), format + " rows=" + rows + " differs between 1 and 3 threads");
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void mappedCheckpointBytes(@TempDir Path dir) throws IOException {
        Random rnd = new Random(5);
        int out = 257, in = 1030;
        try (Arena heap = Arena.ofShared()) {
            WeightMatrix.Half w = randomHalf(heap, rnd, HalfFloat.BF16, out, in, false);
            Path file = dir.resolve("weights.bin");
            Files.write(file, w.bytes().toArray(ValueLayout.JAVA_BYTE));
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                WeightMatrix.Half m = WeightMatrix.of(mapped, HalfFloat.BF16, out, in);
                for (int rows : new int[] {1, 64}) {
                    float[] x = fill(rnd, rows * in);
                    float[] got = linear(m, x, rows);
                    assertArrayEquals(linear(w, x, rows), got, "mapped rows=" + rows);
                    assertClose(reference(m, x, rows), got, in, "mapped rows=" + rows);
                }
            }
        }
    }

    @Test
    void embeddingOfStoredTables() {
        Random rnd = new Random(6);
        int vocab = 50, h = 37, n = 40;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        try (Arena arena = Arena.ofShared()) {
            for (HalfFloat format : HalfFloat.values()) {
                WeightMatrix.Half table = randomHalf(arena, rnd, format, vocab, h, true);
                float[] got = new float[n * h], want = new float[n * h];
                Embedding.forward(got, ids, table, n);
                for (int i = 0; i < n; i++) HalfMathReference.decode(table.bytes(), 2L * ids[i] * h, format, want, i * h, h);
                assertArrayEquals(want, got, format.toString());
            }
        }
        float[] table = fill(rnd, vocab * h), got = new float[n * h], want = new float[n * h];
        Embedding.forward(got, ids, WeightMatrix.of(table, vocab, h), n);
        Embedding.forward(want, ids, table, n, h);
        assertArrayEquals(want, got, "fp32 table");
        int[] bad = {3, 50};
        var e = assertThrows(IllegalArgumentException.class, () -> Embedding.forward(new float[2 * h], bad, WeightMatrix.of(table, vocab, h), 2));
        assertTrue(e.getMessage().contains("token id 50 at position 1"), e.getMessage());
    }

    @Test
    void rejectsOperandsThatDoNotFit() {
        MemorySegment seg = MemorySegment.ofArray(new short[12]);
        var e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(seg, HalfFloat.BF16, 4, 4));
        assertTrue(e.getMessage().contains("needs 32 bytes, segment has 24"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(new float[11], 3, 4));
        assertTrue(e.getMessage().contains("needs 12 floats"), e.getMessage());
        WeightMatrix.Half w = WeightMatrix.of(seg, HalfFloat.F16, 3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[6], new float[7], w, 2));
        assertTrue(e.getMessage().contains("x [2,4] needs 8 floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[5], new float[8], w, 2));
        assertTrue(e.getMessage().contains("out [2,3] needs 6 floats"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[6], new float[8], WeightMatrix.of(new float[12], 3, 4), -1));
        e = assertThrows(IllegalArgumentException.class, () -> w.decodeRow(3, 0, 4, new float[4], 0));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.decodeRow(0, 1, 4, new float[4], 0));
        assertThrows(IllegalArgumentException.class, () -> w.dotRow(0, new float[3], 0));
        try (Arena confined = Arena.ofConfined()) {
            WeightMatrix.Half c = WeightMatrix.of(confined.allocate(24), HalfFloat.BF16, 3, 4);
            e = assertThrows(IllegalArgumentException.class, () -> Gemm.linear(new float[3], new float[4], c, 1));
            assertTrue(e.getMessage().contains("Arena.ofShared()"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Embedding.forward(new float[4], new int[] {0}, c, 1));
        }
    }
}
