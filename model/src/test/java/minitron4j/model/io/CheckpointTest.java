package minitron4j.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Fixtures;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** tiny-gqa's weights straight from its model.safetensors, by name. */
    private static Map<String, Tensor> tinyGqaWeights() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.hfNemotron("tiny-gqa").resolve("model.safetensors"))) {
            for (String n : f.names()) m.put(n, f.readFloats(n));
        }
        return m;
    }

    private static void assertWeights(Map<String, Tensor> expected, Parameters actual, UnaryOperator<Float> rounding) {
        assertEquals(expected.keySet(), actual.asMap().keySet());
        for (Tensor want : expected.values()) {
            Tensor got = actual.get(want.name());
            assertArrayEquals(want.shape(), got.shape(), want.name());
            for (int i = 0; i < want.size(); i++)
                if (Float.floatToIntBits(rounding.apply(want.data()[i])) != Float.floatToIntBits(got.data()[i]))
                    assertEquals(rounding.apply(want.data()[i]), got.data()[i], want.name() + "[" + i + "]");
        }
    }

    private static String refusedLoad(Path checkpoint, String... parts) {
        String m = assertThrows(ModelFormatException.class, () -> Checkpoint.load(checkpoint)).getMessage();
        for (String part : parts) assertTrue(m.contains(part), "expected \"" + part + "\" in: " + m);
        return m;
    }

    private static List<String> fileNames(Path folder) throws IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    @Test
    void loadsTheGoldenFolders() throws IOException {
        LoadedModel gqa = Checkpoint.load(Fixtures.hfNemotron("tiny-gqa"));
        assertEquals(512, gqa.config().vocabSize());
        assertEquals(Dtype.F32, gqa.dtype());
        assertEquals(gqa.config().parameterCount(), gqa.params().count());
        assertWeights(tinyGqaWeights(), gqa.params(), x -> x);

        LoadedModel tied = Checkpoint.load(Fixtures.hfNemotron("tiny-mqa-tied"));
        assertTrue(tied.config().tieWordEmbeddings());
        assertFalse(tied.params().asMap().containsKey(Parameters.LM_HEAD));
        assertEquals(tied.config().parameterCount(), tied.params().count());
        assertArrayEquals(new int[]{300, 48}, tied.params().get(Parameters.EMBED).shape());
    }

    /** generate.py loads tiny-gqa with dtype=torch.bfloat16 (torch's round-to-nearest-even) and shards it. */
    @Test
    void shardedBf16LoadsThroughItsIndexAsTinyGqaRoundedToBf16() throws IOException {
        Path folder = Fixtures.hfFormats("sharded-bf16");
        assertFalse(Files.exists(folder.resolve("model.safetensors")));
        LoadedModel m = Checkpoint.load(folder);
        assertEquals(Dtype.BF16, m.dtype());
        assertWeights(tinyGqaWeights(), m.params(), Dtype::roundToBf16);
    }

    /** generate.py torch.saves the state dict of tiny-gqa loaded in fp32: the same weights, bit for bit. */
    @Test
    void binFp32LoadsAsTinyGqa() throws IOException {
        LoadedModel m = Checkpoint.load(Fixtures.hfFormats("bin-fp32"));
        assertEquals(Dtype.F32, m.dtype());
        assertWeights(tinyGqaWeights(), m.params(), x -> x);
    }

    @Test
    void evilPickleIsRefusedByLoad() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("evil"));
        Files.copy(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"), folder.resolve("config.json"));
        Files.copy(Fixtures.hfFormats("evil-pickle").resolve("pytorch_model.bin"), folder.resolve("pytorch_model.bin"));
        refusedLoad(folder, "pytorch_model.bin", "posix", "system");
    }

    @Test
    void saveAndLoadShardedUntied() throws IOException {
        NemotronConfig c = NemotronConfig.of(64, 16, 40, 2, 4, 2, 4, false);
        Parameters p = Parameters.initialize(c, 7);
        Path out = dir.resolve("untied");
        long maxShardBytes = 4 * 1200; // the embedding (4 KB) fills a shard of its own
        Checkpoint.save(out, c, p, Dtype.F32, maxShardBytes);

        assertFalse(Files.exists(out.resolve("model.safetensors")));
        JsonNode index = json(out.resolve("model.safetensors.index.json"));
        long expectedBytes = 4 * c.parameterCount();
        assertEquals(expectedBytes, index.get("metadata").get("total_size").asLong());
        JsonNode map = index.get("weight_map");
        assertEquals(Parameters.expectedShapes(c).size(), map.size());
        List<String> keys = new ArrayList<>();
        map.fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys, "HF writes the weight map sorted");
        int shards = (int) map.valueStream().map(JsonNode::asText).distinct().count();
        assertTrue(shards > 2, "expected several shards, got " + shards);
        for (int k = 1; k <= shards; k++) {
            Path shard = out.resolve(String.format("model-%05d-of-%05d.safetensors", k, shards));
            try (SafetensorsFile f = SafetensorsFile.open(shard)) {
                assertEquals(Map.of("format", "pt"), f.metadata());
                long bytes = f.names().stream().mapToLong(n -> f.info(n).byteSize()).sum();
                assertTrue(bytes <= maxShardBytes || f.names().size() == 1, shard + " holds " + bytes + " bytes");
            }
        }
        assertEquals("float32", json(out.resolve("config.json")).get("dtype").asText());

        LoadedModel back = Checkpoint.load(out);
        assertEquals(c.parameterCount(), back.params().count());
        assertWeights(p.asMap(), back.params(), x -> x);
    }

    @Test
    void saveAndLoadTiedWritesNoLmHead() throws IOException {
        NemotronConfig c = NemotronConfig.of(50, 16, 24, 1, 2, 1, 8, true);
        Parameters p = Parameters.initialize(c, 3);
        Path sharded = dir.resolve("tied-sharded");
        Checkpoint.save(sharded, c, p, Dtype.BF16, 1000);
        assertFalse(json(sharded.resolve("model.safetensors.index.json")).get("weight_map").has(Parameters.LM_HEAD));
        assertWeights(p.asMap(), Checkpoint.load(sharded).params(), Dtype::roundToBf16);

        Path single = dir.resolve("tied-single");
        Checkpoint.save(single, c, p, Dtype.F32);
        assertEquals(List.of("config.json", "model.safetensors"), fileNames(single));
        try (SafetensorsFile f = SafetensorsFile.open(single.resolve("model.safetensors"))) {
            assertFalse(f.contains(Parameters.LM_HEAD));
            assertEquals(List.copyOf(Parameters.expectedShapes(c).keySet()), f.names());
        }
        LoadedModel back = Checkpoint.load(single);
        assertTrue(back.config().tieWordEmbeddings());
        assertWeights(p.asMap(), back.params(), x -> x);
    }

    /**
     * Minitron-4B's shape (H 3072, 24 heads, 8 KV heads, head_dim 128, F 9216 = 3H) scaled to H 96: the same
     * head counts and GQA ratio, head_dim 4 so that heads * head_dim = H as in the real model, F = 3H.
     */
    @Test
    void minitron4bShapedBf16RoundTripsThroughShards() throws IOException {
        NemotronConfig c = NemotronConfig.of(1000, 96, 288, 2, 24, 8, 4, false);
        Parameters p = Parameters.initialize(c, 4);
        Path out = dir.resolve("minitron-4b-shaped");
        Checkpoint.save(out, c, p, Dtype.BF16, 64 * 1024);
        JsonNode index = json(out.resolve("model.safetensors.index.json"));
        assertEquals(2 * c.parameterCount(), index.get("metadata").get("total_size").asLong());
        assertEquals("bfloat16", json(out.resolve("config.json")).get("dtype").asText());

        LoadedModel back = Checkpoint.load(out);
        assertEquals(Dtype.BF16, back.dtype());
        assertEquals(24, back.config().numAttentionHeads());
        assertEquals(8, back.config().numKeyValueHeads());
        assertEquals(4, back.config().headDim());
        assertArrayEquals(new int[]{96, 96}, back.params().get("model.layers.1.self_attn.o_proj.weight").shape());
        assertArrayEquals(new int[]{32, 96}, back.params().get("model.layers.0.self_attn.k_proj.weight").shape());
        assertWeights(p.asMap(), back.params(), Dtype::roundToBf16);
    }

    /** A copy of sharded-bf16 whose index is rewritten by {@code edit}. */
    private Path shardedCopy(String name, Consumer<ObjectNode> edit)
            throws IOException {
        Path src = Fixtures.hfFormats("sharded-bf16");
        Path folder = Files.createDirectories(dir.resolve(name));
        for (String f : fileNames(src)) Files.copy(src.resolve(f), folder.resolve(f));
        ObjectNode index = (ObjectNode) json(folder.resolve("model.safetensors.index.json"));
        edit.accept((ObjectNode) index.get("weight_map"));
        Files.delete(folder.resolve("model.safetensors.index.json"));
        JSON.writeValue(folder.resolve("model.safetensors.index.json").toFile(), index);
        return folder;
    }

    @Test
    void shardNamesThatEscapeTheFolderAreRefused() throws IOException {
        Path outside = dir.resolve("outside.safetensors");
        Files.copy(Fixtures.hfFormats("sharded-bf16").resolve("model-00001-of-00002.safetensors"), outside);

        Path dotdot = shardedCopy("dotdot", m -> m.put("model.norm.bias", "../outside.safetensors"));
        refusedLoad(dotdot, "model.safetensors.index.json", "\"model.norm.bias\" -> \"../outside.safetensors\"",
                "resolves outside the model folder");

        Path absolute = shardedCopy("absolute", m -> m.put("model.norm.bias", outside.toString()));
        refusedLoad(absolute, "model.safetensors.index.json", "\"model.norm.bias\" -> \"" + outside + "\"",
                "not a file name relative to the model folder");

        Path link = shardedCopy("link", m -> m.put("model.norm.bias", "innocent.safetensors"));
        Files.createSymbolicLink(link.resolve("innocent.safetensors"), outside);
        refusedLoad(link, "model.safetensors.index.json", "\"model.norm.bias\" -> \"innocent.safetensors\"",
                "link that resolves outside the model folder");
    }

    @Test
    void indexEntryMissingFromItsShard() throws IOException {
        Path folder = shardedCopy("misplaced", m -> m.put("model.norm.bias", "model-00001-of-00002.safetensors"));
        refusedLoad(folder, "model.safetensors.index.json", "tensor \"model.norm.bias\"",
                "model-00001-of-00002.safetensors, but that shard has no such tensor");
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        Path folder = shardedCopy("lost", m -> m.put("model.norm.bias", "model-00003-of-00002.safetensors"));
        refusedLoad(folder, "\"model.norm.bias\" -> \"model-00003-of-00002.safetensors\"", "does not exist");
    }

    /** tiny-gqa with its tensors edited, written as one model.safetensors. */
    private Path tinyGqaWith(String name, UnaryOperator<Map<String, Tensor>> edit) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        Files.copy(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"), folder.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        for (Tensor t : edit.apply(tinyGqaWeights()).values()) w.add(t, Dtype.F32);
        w.write(folder.resolve("model.safetensors"));
        return folder;
    }

    @Test
    void missingTensor() throws IOException {
        Path folder = tinyGqaWith("missing", m -> {
            m.remove("model.norm.bias");
            return m;
        });
        refusedLoad(folder, folder.resolve("model.safetensors").toString(), "tensor model.norm.bias is missing");
    }

    @Test
    void unexpectedTensor() throws IOException {
        Path folder = tinyGqaWith("unexpected", m -> {
            m.put("model.layers.2.mlp.up_proj.weight", new Tensor("model.layers.2.mlp.up_proj.weight", new int[]{2}, new float[2]));
            return m;
        });
        refusedLoad(folder, folder.resolve("model.safetensors").toString(), "unexpected tensor model.layers.2.mlp.up_proj.weight");
    }

    @Test
    void shapeMismatch() throws IOException {
        Path folder = tinyGqaWith("mismatch", m -> {
            m.put("model.layers.0.mlp.up_proj.weight", new Tensor("model.layers.0.mlp.up_proj.weight", new int[]{64, 192},
                    new float[64 * 192]));
            return m;
        });
        refusedLoad(folder, folder.resolve("model.safetensors").toString(),
                "tensor model.layers.0.mlp.up_proj.weight has shape [64, 192] but config.json implies [192, 64]");
    }

    @Test
    void folderWithoutWeights() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("empty"));
        Files.copy(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"), folder.resolve("config.json"));
        refusedLoad(folder, folder.toString(), "no weights found", "model.safetensors", "pytorch_model.bin");
    }

    @Test
    void aConfigFileInPlaceOfItsFolderOrAWeightFileThatIsNoFileIsNamed() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("odd"));
        Files.copy(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"), folder.resolve("config.json"));
        refusedLoad(folder.resolve("config.json"), folder.resolve("config.json").toString(), "is a file",
                "the folder that holds config.json");
        Files.createSymbolicLink(folder.resolve("model.safetensors"), Path.of("/dev/zero"));
        refusedLoad(folder, folder.resolve("model.safetensors").toString(), "not a regular file");
    }

    @Test
    void aConfigIntegerBeyondIntIsNamedAsSuch() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("huge"));
        String config = Files.readString(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"))
                .replaceFirst("\"hidden_size\": *\\d+", "\"hidden_size\": 1099511627776");
        Files.writeString(folder.resolve("config.json"), config);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.load(folder));
        assertTrue(e.getMessage().contains("hidden_size") && e.getMessage().contains("must fit in a 32-bit int"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesTheExistingCheckpointWhole() throws IOException {
        NemotronConfig c = NemotronConfig.of(32, 8, 16, 1, 2, 1, 4, false);
        Parameters old = Parameters.initialize(c, 1);
        Path out = dir.resolve("ckpt");
        Checkpoint.save(out, c, old, Dtype.F32, 500);
        List<String> before = fileNames(out);

        assertThrows(IOException.class, () -> AtomicWrites.replaceDirectory(out, temp -> {
            Checkpoint.writeFiles(temp, c, Parameters.initialize(c, 2), Dtype.F32, 500);
            throw new IOException("crash before completion");
        }));
        NemotronConfig other = NemotronConfig.of(32, 8, 16, 2, 2, 1, 4, false);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(out, other, old, Dtype.F32));

        assertEquals(before, fileNames(out));
        assertEquals(List.of("ckpt"), fileNames(dir), "no temporary folder is left behind");
        assertWeights(old.asMap(), Checkpoint.load(out).params(), x -> x);

        Parameters fresh = Parameters.initialize(c, 2);
        Checkpoint.save(out, c, fresh, Dtype.F32); // now one file: stale shards must be gone
        assertEquals(List.of("config.json", "model.safetensors"), fileNames(out));
        assertEquals(List.of("ckpt"), fileNames(dir));
        assertWeights(fresh.asMap(), Checkpoint.load(out).params(), x -> x);
    }

    @Test
    void saveKeepsTheTokenizerOfTheCheckpointItReplaces() throws IOException {
        NemotronConfig c = NemotronConfig.of(32, 8, 16, 1, 2, 1, 4, false);
        Path out = dir.resolve("with-tokenizer");
        Checkpoint.save(out, c, Parameters.initialize(c, 1), Dtype.F32);
        Files.writeString(out.resolve("tokenizer.json"), "{\"model\":{}}");
        Checkpoint.save(out, c, Parameters.initialize(c, 2), Dtype.BF16);
        assertEquals("{\"model\":{}}", Files.readString(out.resolve("tokenizer.json")));
    }

    @Test
    void saveRefusesToReplaceAFolderThatIsNotACheckpoint() throws IOException {
        Path precious = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(precious.resolve("notes.txt"), "keep me");
        NemotronConfig c = NemotronConfig.of(32, 8, 16, 1, 2, 1, 4, false);
        assertThrows(FileAlreadyExistsException.class, () -> Checkpoint.save(precious, c, Parameters.initialize(c, 1), Dtype.F32));
        assertEquals("keep me", Files.readString(precious.resolve("notes.txt")));
    }

    @Test
    void convertKeepsTheSourceDtypeAndCopiesTokenizerFiles() throws IOException {
        Path src = shardedCopy("bf16-src", m -> {
        });
        Files.writeString(src.resolve("tokenizer.json"), "{}");
        Files.writeString(src.resolve("tokenizer_config.json"), "{\"x\":1}");
        Path dst = dir.resolve("bf16-dst");
        Checkpoint.convert(src, dst, Optional.empty());
        assertEquals(List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json"), fileNames(dst));
        assertEquals("bfloat16", json(dst.resolve("config.json")).get("dtype").asText());
        LoadedModel m = Checkpoint.load(dst);
        assertEquals(Dtype.BF16, m.dtype());
        assertWeights(tinyGqaWeights(), m.params(), Dtype::roundToBf16);
        assertEquals(Files.readString(src.resolve("generation_config.json")), Files.readString(dst.resolve("generation_config.json")));

        Path fromBin = dir.resolve("from-bin");
        Checkpoint.convert(Fixtures.hfFormats("bin-fp32"), fromBin, Optional.of(Dtype.BF16));
        LoadedModel b = Checkpoint.load(fromBin);
        assertEquals(Dtype.BF16, b.dtype());
        assertWeights(tinyGqaWeights(), b.params(), Dtype::roundToBf16);
    }

    @Test
    void copyTokenizerFilesCopiesOnlyWhatIsThere() throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("tokenizer.model"), "spm");
        Files.writeString(src.resolve("special_tokens_map.json"), "{}");
        Files.writeString(src.resolve("unrelated.txt"), "no");
        Path dst = dir.resolve("dst");
        Checkpoint.copyTokenizerFiles(src, dst);
        assertEquals(List.of("special_tokens_map.json", "tokenizer.model"), fileNames(dst));
    }
}
