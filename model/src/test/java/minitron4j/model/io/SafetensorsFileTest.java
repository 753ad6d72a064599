package minitron4j.model.io;

import minitron4j.model.ModelFormatException;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading valid files of every supported dtype, and one test per kind of hostile file. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** A safetensors file from a header text and a data area, exactly as given (no padding or checks). */
    private Path craft(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = Files.createTempFile(dir, "crafted", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path craft(String header, int dataBytes) throws IOException {
        return craft(header, new byte[dataBytes]);
    }

    /** Opening must fail with a message naming the file and containing each of {@code parts}. */
    private static String refused(Path p, String... parts) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p).close());
        String m = e.getMessage();
        assertTrue(m.contains(p.toString()), m);
        for (String part : parts) assertTrue(m.contains(part), "expected \"" + part + "\" in: " + m);
        return m;
    }

    @Test
    void readsFloatTypesIntsAndMetadata() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(8 + 4 + 4 + 8 + 12 + 16).order(ByteOrder.LITTLE_ENDIAN);
        d.putFloat(1.5f).putFloat(-2.25f);                                     // F32 [2]
        d.putShort((short) 0x3fc0).putShort((short) 0xc010);                   // BF16 [2] = 1.5, -2.25
        d.putShort(Float.floatToFloat16(0.333f)).putShort(Float.floatToFloat16(-65504f)); // F16 [2]
        d.putDouble(Math.PI);                                                  // F64 [1]
        d.putInt(7).putInt(-1).putInt(Integer.MAX_VALUE);                      // I32 [3]
        d.putLong(Integer.MIN_VALUE).putLong(42);                              // I64 [2, 1]
        Path p = craft("""
                {"__metadata__":{"format":"pt","note":"x"},
                 "f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "bf16":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},
                 "f16":{"dtype":"F16","shape":[1,2],"data_offsets":[12,16]},
                 "f64":{"dtype":"F64","shape":[],"data_offsets":[16,24]},
                 "i32":{"dtype":"I32","shape":[3],"data_offsets":[24,36]},
                 "i64":{"dtype":"I64","shape":[2,1],"data_offsets":[36,52]}}""", d.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("f32", "bf16", "f16", "f64", "i32", "i64"), f.names());
            assertEquals(Map.of("format", "pt", "note", "x"), f.metadata());
            assertArrayEquals(new float[]{1.5f, -2.25f}, f.readFloats("f32").data());
            assertArrayEquals(new float[]{1.5f, -2.25f}, f.readFloats("bf16").data());
            Tensor f16 = f.readFloats("f16");
            assertArrayEquals(new int[]{1, 2}, f16.shape());
            assertArrayEquals(new float[]{Float.float16ToFloat(Float.floatToFloat16(0.333f)), -65504f}, f16.data());
            Tensor scalar = f.readFloats("f64");
            assertArrayEquals(new int[0], scalar.shape());
            assertArrayEquals(new float[]{(float) Math.PI}, scalar.data());
            assertArrayEquals(new int[]{7, -1, Integer.MAX_VALUE}, f.readInts("i32").data());
            IntTensor i64 = f.readInts("i64");
            assertArrayEquals(new int[]{2, 1}, i64.shape());
            assertArrayEquals(new int[]{Integer.MIN_VALUE, 42}, i64.data());
            TensorInfo info = f.info("bf16");
            assertEquals(Dtype.BF16, info.dtype());
            assertEquals(4, info.byteSize());
            assertEquals((short) 0xc010, f.bytes("bf16").get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2));
        }
    }

    @Test
    void emptyFileAndEmptyTensorsAreValid() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(craft("{}", 0))) {
            assertEquals(List.of(), f.names());
            assertEquals(Map.of(), f.metadata());
        }
        Path p = craft("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(0, f.readFloats("e").size());
            assertEquals(1, f.readFloats("x").size());
        }
    }

    /** A tensor whose bytes start beyond 2^31: the mapping and the offsets are 64-bit (sparse file, no disk used). */
    @Test
    void readsATensorBeyondTwoGigabytes() throws IOException {
        long skipped = 3L << 30;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[3,1073741824],\"data_offsets\":[0," + skipped + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + skipped + "," + (skipped + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("huge.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            f.write(h);
            f.seek(8 + h.length + skipped);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(3.5f).putFloat(-1f).array());
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(skipped, f.info("pad").byteSize());
            assertArrayEquals(new float[]{3.5f, -1f}, f.readFloats("tail").data());
        }
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[5]);
        refused(p, "5 bytes", "shorter than the 8-byte header length");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path p = dir.resolve("long-header.safetensors");
        Files.write(p, ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        refused(p, "header length 1000", "beyond the file (20 bytes");
    }

    @Test
    void headerLengthWithTheTopBitSet() throws IOException {
        Path p = dir.resolve("huge-header.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array());
        refused(p, "header length 18446744073709551615", "beyond the file");
    }

    @Test
    void absurdlyLargeHeaderIsRefusedBeforeReadingIt() throws IOException {
        Path p = dir.resolve("absurd.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(SafetensorsFile.MAX_HEADER_BYTES + 64); // sparse: costs no disk
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(SafetensorsFile.MAX_HEADER_BYTES + 1).array());
        }
        refused(p, "header length " + (SafetensorsFile.MAX_HEADER_BYTES + 1), "exceeds the limit");
    }

    @Test
    void headerNotJson() throws IOException {
        refused(craft("{\"a\": nonsense", 0), "header is not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        refused(craft("[1, 2, 3]", 0), "header must be a JSON object, found array");
    }

    @Test
    void headerWithTrailingGarbage() throws IOException {
        refused(craft("{} {}", 0), "header is not valid JSON");
    }

    @Test
    void duplicateTensorName() throws IOException {
        refused(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "not valid JSON", "Duplicate field 'a'");
    }

    @Test
    void unknownDtype() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2),
                "tensor \"w\"", "unknown dtype \"Q4_K\"", "BF16");
    }

    @Test
    void negativeDimension() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4,-1],\"data_offsets\":[0,16]}}", 16),
                "tensor \"w\"", "negative dimension -1");
    }

    @Test
    void shapeWhoseSizeOverflows() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,4]}}", 4),
                "tensor \"w\"", "too large");
    }

    @Test
    void offsetsBeyondTheDataArea() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "tensor \"w\"", "data_offsets [0,16] reach beyond the data area of 8 bytes");
    }

    @Test
    void reversedOffsets() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
                "tensor \"w\"", "reversed");
    }

    @Test
    void negativeOffset() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8),
                "tensor \"w\"", "non-negative");
    }

    @Test
    void overlappingOffsets() throws IOException {
        refused(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "tensors \"a\" [0, 8] and \"b\" [4, 12] overlap");
    }

    @Test
    void sizeOfShapeAndDtypeDiffersFromByteRange() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,4],\"data_offsets\":[0,20]}}", 20),
                "tensor \"w\"", "dtype BF16 and shape [3,4] need 24 bytes but data_offsets [0,20] hold 20");
    }

    @Test
    void holeBetweenTensors() throws IOException {
        refused(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12),
                "bytes [4, 8)", "belong to no tensor", "holes");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        refused(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12),
                "cover 4 bytes but the data area holds 12");
    }

    @Test
    void metadataMustHoldStrings() throws IOException {
        refused(craft("{\"__metadata__\":{\"format\":1}}", 0), "__metadata__.format must be a string");
    }

    @Test
    void entryFieldsOfTheWrongType() throws IOException {
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,16]}}", 16), "tensor \"w\"", "shape");
        refused(craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0]}}", 16), "tensor \"w\"", "[begin, end]");
        refused(craft("{\"w\":[1]}", 0), "tensor \"w\" must be an object");
    }

    @Test
    void i64ValuesOutsideTheIntRange() throws IOException {
        byte[] d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1).putLong(1L << 40).array();
        Path p = craft("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            String m = assertThrows(ModelFormatException.class, () -> f.readInts("ids")).getMessage();
            assertTrue(m.contains(p.toString()) && m.contains("\"ids\"") && m.contains("1099511627776")
                    && m.contains("element 1") && m.contains("outside the int range"), m);
        }
    }

    @Test
    void readingTheWrongKindOrAMissingName() throws IOException {
        Path p = craft("{\"ids\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"mask\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(assertThrows(ModelFormatException.class, () -> f.readFloats("ids")).getMessage()
                    .contains("tensor \"ids\" has dtype I32, expected a float type"));
            assertTrue(assertThrows(ModelFormatException.class, () -> f.readInts("mask")).getMessage()
                    .contains("tensor \"mask\" has dtype U8, expected I32 or I64"));
            assertTrue(assertThrows(ModelFormatException.class, () -> f.info("nope")).getMessage()
                    .contains("no tensor named \"nope\""));
        }
    }

    @Test
    void closedFileRefusesReads() throws IOException {
        Path p = craft("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        SafetensorsFile f = SafetensorsFile.open(p);
        f.close();
        f.close();
        assertThrows(IllegalStateException.class, () -> f.readFloats("x"));
    }
}
