package minitron4j.model.io;

import minitron4j.model.Fixtures;
import minitron4j.model.ModelFormatException;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchCheckpointReaderTest {
    @TempDir
    Path dir;

    private static String refused(Path p, String... parts) {
        String m = assertThrows(ModelFormatException.class, () -> TorchCheckpointReader.open(p).close()).getMessage();
        assertTrue(m.contains(p.toString()), m);
        for (String part : parts) assertTrue(m.contains(part), "expected \"" + part + "\" in: " + m);
        return m;
    }

    /** A state dict {name: tensor} with one tensor, as torch.save writes it. */
    private static PickleBuilder oneTensor(String name, String storageType, String key, long numel, long offset,
                                           long[] size, long[] stride) {
        return new PickleBuilder().proto().emptyOrderedDict().mark().str(name)
                .tensor(storageType, key, numel, offset, size, stride).op('u', '.');
    }

    @Test
    void readsTheTorchSavedFixtureAsTinyGqaWeights() throws IOException {
        try (TorchCheckpointReader bin = TorchCheckpointReader.open(Fixtures.hfFormats("bin-fp32").resolve("pytorch_model.bin"));
             SafetensorsFile reference = SafetensorsFile.open(Fixtures.hfNemotron("tiny-gqa").resolve("model.safetensors"))) {
            assertEquals(24, bin.names().size());
            assertEquals("model.embed_tokens.weight", bin.names().getFirst());
            assertEquals(reference.names().stream().sorted().toList(), bin.names().stream().sorted().toList());
            for (String name : reference.names()) {
                assertEquals(Dtype.F32, bin.info(name).dtype());
                Tensor want = reference.readFloats(name), got = bin.readFloats(name);
                assertArrayEquals(want.shape(), got.shape(), name);
                assertArrayEquals(want.data(), got.data(), name);
            }
        }
    }

    @Test
    void evilPickleIsRefusedWithoutRunningIt() {
        Path evil = Fixtures.hfFormats("evil-pickle").resolve("pytorch_model.bin");
        String m = refused(evil, "posix", "system", "nothing was executed");
        assertTrue(m.contains("refusing global 'posix system'"), m);
    }

    @Test
    void honoursStorageOffsetsStridesAndParameters() throws IOException {
        float[] storage = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
        byte[] pickle = new PickleBuilder().proto().emptyOrderedDict().mark()
                // a transposed [3,4] view at offset 2: t[i][j] = storage[2 + i + 3j]
                .str("transposed").tensor("BFloat16Storage", "0", 14, 2, new long[]{3, 4}, new long[]{1, 3})
                // a contiguous [2,2] slice at offset 5
                .str("slice").tensor("BFloat16Storage", "0", 14, 5, new long[]{2, 2}, new long[]{2, 1})
                // a parameter wrapping a tensor; and an expanded (stride 0) row
                .str("param").global("torch._utils", "_rebuild_parameter").mark()
                .tensor("BFloat16Storage", "0", 14, 0, new long[]{3}, new long[]{1}).op(0x88).emptyOrderedDict().tuple().op('R')
                .str("expanded").tensor("BFloat16Storage", "0", 14, 4, new long[]{2, 3}, new long[]{0, 1})
                .op('u', '.').bytes();
        Path p = PickleBuilder.zip(dir.resolve("views.bin"), pickle, "little", Map.of("0", PickleBuilder.bf16(storage)));
        try (TorchCheckpointReader r = TorchCheckpointReader.open(p)) {
            assertEquals(List.of("transposed", "slice", "param", "expanded"), r.names());
            assertEquals(Dtype.BF16, r.info("slice").dtype());
            Tensor t = r.readFloats("transposed");
            assertArrayEquals(new int[]{3, 4}, t.shape());
            assertArrayEquals(new float[]{2, 5, 8, 11, 3, 6, 9, 12, 4, 7, 10, 13}, t.data());
            assertArrayEquals(new float[]{5, 6, 7, 8}, r.readFloats("slice").data());
            assertArrayEquals(new float[]{0, 1, 2}, r.readFloats("param").data());
            assertArrayEquals(new float[]{4, 5, 6, 4, 5, 6}, r.readFloats("expanded").data());
        }
    }

    @Test
    void tiedWeightsShareOneStorage() throws IOException {
        byte[] pickle = new PickleBuilder().proto().emptyOrderedDict().mark()
                .str("embed").tensor("FloatStorage", "7", 4, 0, new long[]{2, 2}, new long[]{2, 1}).op('q', 9)
                .str("lm_head").op('h', 9)
                .op('u', '.').bytes();
        Path p = PickleBuilder.zip(dir.resolve("tied.bin"), pickle, null, Map.of("7", PickleBuilder.floats(1, 2, 3, 4)));
        try (TorchCheckpointReader r = TorchCheckpointReader.open(p)) {
            assertArrayEquals(r.readFloats("embed").data(), r.readFloats("lm_head").data());
        }
    }

    @Test
    void readsLongTensorsAsIntsAndRefusesValuesBeyondInt() throws IOException {
        byte[] pickle = new PickleBuilder().proto().emptyOrderedDict().mark()
                .str("ids").tensor("LongStorage", "0", 4, 0, new long[]{3}, new long[]{1})
                .str("big").tensor("LongStorage", "0", 4, 1, new long[]{3}, new long[]{1})
                .op('u', '.').bytes();
        Path p = PickleBuilder.zip(dir.resolve("ids.bin"), pickle, "little", Map.of("0", PickleBuilder.longs(5, -1, 9, 1L << 33)));
        try (TorchCheckpointReader r = TorchCheckpointReader.open(p)) {
            assertArrayEquals(new int[]{5, -1, 9}, r.readInts("ids").data());
            String m = assertThrows(ModelFormatException.class, () -> r.readInts("big")).getMessage();
            assertTrue(m.contains("\"big\"") && m.contains("8589934592") && m.contains("element 2"), m);
            assertTrue(assertThrows(ModelFormatException.class, () -> r.readFloats("ids")).getMessage()
                    .contains("is stored as torch.LongStorage, expected a float storage"));
        }
    }

    @Test
    void anyOtherGlobalIsRefused() throws IOException {
        // the STACK_GLOBAL form, as protocol 4 writes it
        byte[] pickle = new PickleBuilder().proto().str("builtins").str("eval").op(0x93).str("1+1").op(0x85, 'R', '.').bytes();
        refused(PickleBuilder.zip(dir.resolve("eval.bin"), pickle, "little", Map.of()), "refusing global 'builtins eval'");
        byte[] nested = new PickleBuilder().proto().emptyOrderedDict().mark().str("w")
                .global("torch._utils", "_rebuild_tensor_v2").mark().global("subprocess", "Popen").op(')', 'R').tuple()
                .op('R', 'u', '.').bytes();
        refused(PickleBuilder.zip(dir.resolve("popen.bin"), nested, "little", Map.of()), "refusing global 'subprocess Popen'");
    }

    @Test
    void unsupportedStorageTypeIsNamed() throws IOException {
        byte[] pickle = oneTensor("mask", "ByteStorage", "0", 4, 0, new long[]{4}, new long[]{1}).bytes();
        refused(PickleBuilder.zip(dir.resolve("u8.bin"), pickle, "little", Map.of("0", new byte[4])),
                "storage type torch.ByteStorage is not supported");
    }

    @Test
    void unknownOpcodeIsRefused() throws IOException {
        byte[] pickle = new PickleBuilder().proto().op('i').bytes(); // INST: protocol 0 object creation
        refused(PickleBuilder.zip(dir.resolve("inst.bin"), pickle, "little", Map.of()), "opcode 0x69 ('i')", "pickle byte 2");
    }

    @Test
    void truncatedPickleIsRefused() throws IOException {
        byte[] full = oneTensor("w", "FloatStorage", "0", 4, 0, new long[]{4}, new long[]{1}).bytes();
        byte[] cut = java.util.Arrays.copyOf(full, full.length - 10);
        refused(PickleBuilder.zip(dir.resolve("cut.bin"), cut, "little", Map.of("0", new byte[16])), "truncated");
    }

    @Test
    void stringLengthBeyondThePickleIsRefusedBeforeAllocating() throws IOException {
        byte[] pickle = new PickleBuilder().proto().op('X', 0xff, 0xff, 0xff, 0x7f).bytes();
        refused(PickleBuilder.zip(dir.resolve("len.bin"), pickle, "little", Map.of()), "length 2147483647 reaches beyond");
    }

    @Test
    void picklesThatWouldCostMuchMemoryAreRefused() throws IOException {
        byte[] manyValues = new byte[StateDictUnpickler.MAX_VALUES + 3];
        java.util.Arrays.fill(manyValues, (byte) ')'); // EMPTY_TUPLE, over and over
        refused(PickleBuilder.zip(dir.resolve("many.bin"), manyValues, "little", Map.of()),
                "more than " + StateDictUnpickler.MAX_VALUES + " values");
        byte[] huge = new byte[(int) TorchCheckpointReader.MAX_PICKLE_BYTES + 1];
        refused(PickleBuilder.zip(dir.resolve("huge.bin"), huge, "little", Map.of()), "data.pkl is " + huge.length + " bytes");
    }

    @Test
    void viewBeyondItsStorageIsRefused() throws IOException {
        byte[] pickle = oneTensor("w", "FloatStorage", "0", 4, 2, new long[]{2, 2}, new long[]{2, 1}).bytes();
        refused(PickleBuilder.zip(dir.resolve("beyond.bin"), pickle, "little", Map.of("0", new byte[16])),
                "tensor \"w\"", "reach element 5 of a storage of 4 elements");
    }

    @Test
    void storageEntryShorterThanDeclaredIsRefused() throws IOException {
        byte[] pickle = oneTensor("w", "FloatStorage", "0", 4, 0, new long[]{4}, new long[]{1}).bytes();
        refused(PickleBuilder.zip(dir.resolve("short.bin"), pickle, "little", Map.of("0", new byte[12])),
                "tensor \"w\"", "holds 12 bytes", "needs 16");
    }

    @Test
    void missingStorageEntryIsRefused() throws IOException {
        byte[] pickle = oneTensor("w", "FloatStorage", "3", 4, 0, new long[]{4}, new long[]{1}).bytes();
        refused(PickleBuilder.zip(dir.resolve("missing.bin"), pickle, "little", Map.of("0", new byte[16])),
                "tensor \"w\"", "archive/data/3 is missing");
    }

    @Test
    void bigEndianCheckpointIsRefused() throws IOException {
        byte[] pickle = oneTensor("w", "FloatStorage", "0", 1, 0, new long[]{1}, new long[]{1}).bytes();
        refused(PickleBuilder.zip(dir.resolve("be.bin"), pickle, "big", Map.of("0", new byte[4])), "byteorder says \"big\"");
    }

    @Test
    void topLevelMustBeADictOfTensors() throws IOException {
        byte[] list = new PickleBuilder().proto().op(']', '.').bytes();
        refused(PickleBuilder.zip(dir.resolve("list.bin"), list, "little", Map.of()), "expected a state dict");
        byte[] notTensor = new PickleBuilder().proto().op('}').str("step").integer(3).op('s', '.').bytes();
        refused(PickleBuilder.zip(dir.resolve("int.bin"), notTensor, "little", Map.of()), "entry \"step\" is not a tensor");
    }

    @Test
    void legacyAndNonZipFilesAreRefused() throws IOException {
        Path legacy = dir.resolve("legacy.bin");
        Files.write(legacy, new byte[]{(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc});
        refused(legacy, "not a zip archive", "legacy torch.save format");
        Path text = dir.resolve("text.bin");
        Files.writeString(text, "hello");
        String m = refused(text, "not a zip archive");
        assertFalse(m.contains("legacy"), m);
    }
}
