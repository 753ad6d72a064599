package minitron4j.model.io;

import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    /** Awkward floats: signed zeros, infinities, NaNs with payloads, subnormals, the largest finite value. */
    private static float[] specials() {
        return new float[]{0f, -0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x7fa00001), Float.intBitsToFloat(0xffc12345), Float.MIN_VALUE, -Float.MIN_VALUE,
                Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 3.3895314e38f /* largest bf16 */, 1e-40f};
    }

    /** Values across all exponents, plus exact halfway cases (low 16 bits 0x8000) of both parities. */
    private static float[] roundingCases(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int bits = r.nextInt();
            if (i % 4 == 0) bits = (bits & 0xffff0000) | 0x8000;     // a tie
            else if (i % 4 == 1) bits = (bits & 0xffff0000) | 0x7fff; // just below a tie
            v[i] = Float.intBitsToFloat(bits);
        }
        return v;
    }

    /**
     * bf16 rounding computed directly: the two bf16 neighbours of x (toward and away from zero), compared
     * in double arithmetic; a tie goes to the neighbour with an even last mantissa bit. The neighbour
     * beyond the largest bf16 is 2^128, which rounds to infinity.
     */
    private static float bf16Reference(float x) {
        int bits = Float.floatToRawIntBits(x);
        float toward = Float.intBitsToFloat(bits & 0xffff0000);
        if (toward == x) return x;
        int awayBits = (bits & 0xffff0000) + 0x10000;
        float away = Float.intBitsToFloat(awayBits);
        double awayValue = Float.isInfinite(away) ? Math.copySign(Math.pow(2, 128), x) : away;
        double dToward = Math.abs((double) x - toward), dAway = Math.abs(awayValue - x);
        if (dToward != dAway) return dToward < dAway ? toward : away;
        return ((bits >>> 16) & 1) == 0 ? toward : away;
    }

    private static void assertSameBits(float expected, float actual, float input) {
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual))
            assertEquals(expected, actual, "input " + input + " (0x" + Integer.toHexString(Float.floatToRawIntBits(input)) + ")");
    }

    @Test
    void f32RoundTripIsExactAndKeepsOrderAndMetadata() throws IOException {
        float[] big = roundingCases(10_000, 1);
        Tensor a = new Tensor("zeta", new int[]{100, 100}, big);
        Tensor b = new Tensor("alpha", new int[]{specials().length}, specials());
        Tensor scalar = new Tensor("scalar", new int[0], new float[]{7f});
        Tensor empty = new Tensor("empty", new int[]{0, 5}, new float[0]);
        Path p = dir.resolve("f32.safetensors");
        new SafetensorsWriter().metadata("format", "pt").add(a, Dtype.F32).add(b, Dtype.F32).add(scalar, Dtype.F32)
                .add(empty, Dtype.F32).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("zeta", "alpha", "scalar", "empty"), f.names());
            assertEquals(Map.of("format", "pt"), f.metadata());
            for (Tensor t : List.of(a, b, scalar, empty)) {
                Tensor back = f.readFloats(t.name());
                assertArrayEquals(t.shape(), back.shape());
                for (int i = 0; i < t.size(); i++)
                    assertEquals(Float.floatToRawIntBits(t.data()[i]), Float.floatToRawIntBits(back.data()[i]));
            }
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytesAsHfDoes() throws IOException {
        Path p = dir.resolve("padded.safetensors");
        new SafetensorsWriter().metadata("format", "pt").add(new Tensor("w", new int[]{3}, new float[3]), Dtype.BF16).write(p);
        byte[] file = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        assertEquals(8 + n + 6, file.length);
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"BF16\",\"shape\":[3],"
                + "\"data_offsets\":[0,6]}}"), header);
        assertTrue(header.length() - header.stripTrailing().length() < 8);
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaN() throws IOException {
        float[] cases = roundingCases(50_000, 2);
        float[] all = Arrays.copyOf(cases, cases.length + specials().length);
        System.arraycopy(specials(), 0, all, cases.length, specials().length);
        Path p = dir.resolve("bf16.safetensors");
        new SafetensorsWriter().add(new Tensor("x", new int[]{all.length}, all), Dtype.BF16).write(p);
        float[] back;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Dtype.BF16, f.info("x").dtype());
            back = f.readFloats("x").data();
        }
        for (int i = 0; i < all.length; i++) {
            float x = all[i];
            if (Float.isNaN(x)) {
                assertTrue(Float.isNaN(back[i]), "NaN must stay NaN");
                assertEquals(Math.copySign(1f, x), Math.copySign(1f, back[i]), "NaN keeps its sign");
            } else {
                assertSameBits(bf16Reference(x), back[i], x);
            }
        }
        assertEquals(Float.POSITIVE_INFINITY, Dtype.roundToBf16(Float.MAX_VALUE));
        assertEquals(1f, Dtype.roundToBf16(Float.intBitsToFloat(0x3f808000)));                      // tie, even stays
        assertEquals(Float.intBitsToFloat(0x3f820000), Dtype.roundToBf16(Float.intBitsToFloat(0x3f818000))); // tie, odd rounds up
    }

    @Test
    void f16RoundTripMatchesJavaHalfConversion() throws IOException {
        float[] v = roundingCases(20_000, 3);
        Path p = dir.resolve("f16.safetensors");
        new SafetensorsWriter().add(new Tensor("h", new int[]{v.length}, v), Dtype.F16).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            float[] back = f.readFloats("h").data();
            for (int i = 0; i < v.length; i++)
                assertSameBits(Float.float16ToFloat(Float.floatToFloat16(v[i])), back[i], v[i]);
        }
    }

    @Test
    void i32RoundTrip() throws IOException {
        int[] ids = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 255_999};
        Path p = dir.resolve("ids.safetensors");
        new SafetensorsWriter().add("input_ids", new IntTensor(new int[]{2, 3}, ids))
                .add(new Tensor("logits", new int[]{2}, new float[]{1, 2}), Dtype.F32).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Dtype.I32, f.info("input_ids").dtype());
            IntTensor back = f.readInts("input_ids");
            assertArrayEquals(new int[]{2, 3}, back.shape());
            assertArrayEquals(ids, back.data());
        }
    }

    @Test
    void dataLargerThanTheWriteBufferStreamsThrough() throws IOException {
        float[] v = roundingCases(700_000, 4); // 2.8 MB in F32: several buffer flushes, a partial one at the end
        Tensor t = new Tensor("big", new int[]{v.length}, v);
        Path p = dir.resolve("big.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().add(new Tensor("small", new int[]{3}, new float[]{1, 2, 3}), Dtype.BF16)
                .add(t, Dtype.F32).add(t.renamed("big16"), Dtype.BF16);
        assertEquals(6 + 4L * v.length + 2L * v.length, w.dataBytes());
        w.write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            float[] back = f.readFloats("big").data();
            for (int i = 0; i < v.length; i++) assertSameBits(v[i], back[i], v[i]);
            float[] back16 = f.readFloats("big16").data();
            for (int i = 0; i < v.length; i++) if (!Float.isNaN(v[i])) assertSameBits(bf16Reference(v[i]), back16[i], v[i]);
        }
    }

    @Test
    void refusesWhatItCannotWrite() {
        Tensor t = new Tensor("w", new int[]{1}, new float[1]);
        SafetensorsWriter w = new SafetensorsWriter().add(t, Dtype.F32);
        assertThrows(IllegalArgumentException.class, () -> w.add(t, Dtype.BF16));
        assertThrows(IllegalArgumentException.class, () -> w.add(t.renamed("other"), Dtype.I32));
        assertThrows(IllegalArgumentException.class, () -> w.add(t.renamed("__metadata__"), Dtype.F32));
    }

    @Test
    void replacesAnExistingFileOnlyWhenComplete() throws IOException {
        Path p = dir.resolve("model.safetensors");
        new SafetensorsWriter().add(new Tensor("old", new int[]{1}, new float[]{1}), Dtype.F32).write(p);
        byte[] before = Files.readAllBytes(p);
        IOException e = assertThrows(IOException.class, () -> AtomicWrites.replaceFile(p, ch -> {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(List.of(p), filesIn(dir), "no temporary file is left behind");
        new SafetensorsWriter().add(new Tensor("new", new int[]{1}, new float[]{2}), Dtype.F32).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("new"), f.names());
        }
        assertEquals(List.of(p), filesIn(dir));
    }

    static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
