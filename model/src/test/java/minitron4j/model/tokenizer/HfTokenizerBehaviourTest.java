package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Behaviour beyond the recorded encodings: special ids, lookups, and the byte-level details of decoding. */
class HfTokenizerBehaviourTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void bosComesFromThePostProcessorAndEosFromTheKnownNames() {
        HfTokenizer spbpe = HfTokenizerFixtureTest.load("spbpe");
        assertEquals(OptionalInt.of(2), spbpe.bosId());
        assertEquals(OptionalInt.of(3), spbpe.eosId());
        assertEquals(4096, spbpe.vocabSize());
        HfTokenizer bytelevel = HfTokenizerFixtureTest.load("bytelevel");
        assertEquals(OptionalInt.empty(), bytelevel.bosId());
        assertEquals(OptionalInt.of(0), bytelevel.eosId());
        assertEquals(2048, bytelevel.vocabSize());
        assertEquals(OptionalInt.of(7), spbpe.withEosId(7).eosId());
        assertThrows(IllegalArgumentException.class, () -> spbpe.withEosId(4096));
    }

    @Test
    void aTokenizerConfigBesideTheFileNamesBosAndEos(@TempDir Path dir) throws IOException {
        Files.copy(Fixtures.hfTokenizer("spbpe").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<pad>\", \"special\": true}, \"eos_token\": \"<unk>\"}");
        HfTokenizer tokenizer = HfTokenizer.load(dir.resolve("tokenizer.json"));
        assertEquals(OptionalInt.of(1), tokenizer.bosId());
        assertEquals(OptionalInt.of(0), tokenizer.eosId());
    }

    @Test
    void lookupsOfIdsAndTokens() {
        HfTokenizer spbpe = HfTokenizerFixtureTest.load("spbpe");
        assertEquals("▁world", spbpe.idToToken(785));
        assertEquals(OptionalInt.of(785), spbpe.tokenToId("▁world"));
        assertEquals(OptionalInt.of(3), spbpe.tokenToId("</s>"));
        assertEquals(OptionalInt.empty(), spbpe.tokenToId("no such token"));
        assertThrows(IllegalArgumentException.class, () -> spbpe.idToToken(4096));
        assertThrows(IllegalArgumentException.class, () -> spbpe.decode(new int[] {5, -1}, false));
    }

    @Test
    void specialTokensInTheTextAreRecognisedWithAndWithoutThePostProcessor() {
        HfTokenizer spbpe = HfTokenizerFixtureTest.load("spbpe");
        assertArrayEquals(new int[] {2, 3}, spbpe.encode("</s>"));
        assertArrayEquals(new int[] {3}, spbpe.encodeNoSpecial("</s>"));
        // the decoder's Strip takes the space that Metaspace made the first char of the kept tokens
        assertEquals("world", spbpe.decode(spbpe.encode("<s> world</s>"), true));
    }

    @Test
    void byteFallbackDecodingGivesOneReplacementPerByteOfAnIllFormedRun() {
        HfTokenizer spbpe = HfTokenizerFixtureTest.load("spbpe");
        // "<0xE6>" "<0x95>" are the first two bytes of 数; cut short they are not UTF-8
        int[] ids = {spbpe.tokenToId("<0xE6>").getAsInt(), spbpe.tokenToId("<0x95>").getAsInt(), 785};
        assertEquals("\uFFFD\uFFFD world", spbpe.decode(ids, false));
    }

    @Test
    void byteLevelDecodingReplacesEachMaximalIllFormedPartOnce() {
        HfTokenizer bytelevel = HfTokenizerFixtureTest.load("bytelevel");
        // "æ" "ķ" are the bytes E6 95, the first two of 数: one maximal ill-formed part
        int[] ids = {bytelevel.tokenToId("æ").getAsInt(), bytelevel.tokenToId("ķ").getAsInt(), 677};
        assertEquals("\uFFFD world", bytelevel.decode(ids, false));
    }

    @Test
    void lossyUtf8CountsReplacementsAsRust() {
        assertEquals("Hello \uFFFDWorld", lossy(0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0xF0, 0x90, 0x80, 0x57, 0x6F, 0x72,
                0x6C, 0x64));
        assertEquals("\uFFFD\uFFFD", lossy(0xE0, 0x80)); // E0 needs A0..BF next
        assertEquals("\uFFFD\uFFFD\uFFFD", lossy(0xED, 0xA0, 0x80)); // a surrogate
        assertEquals("\uFFFD\uFFFD", lossy(0xC0, 0x80)); // overlong
        assertEquals("\uFFFD\uFFFD", lossy(0xF4, 0x90)); // beyond U+10FFFF
        assertEquals("\uFFFDa", lossy(0xE6, 0x95, 0x61));
        assertEquals("数\uD83D\uDE42", lossy(0xE6, 0x95, 0xB0, 0xF0, 0x9F, 0x99, 0x82));
        assertNull(Utf8.decodeStrict(new byte[] {(byte) 0xE6, (byte) 0x95}, 2));
    }

    private static String lossy(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return Utf8.decodeLossy(bytes, bytes.length);
    }

    @Test
    void stripRemovesAtMostTheAskedCountAtEachEnd() {
        TextDecoder.Strip strip = new TextDecoder.Strip('x', 1, 2);
        assertEquals(List.of("xax", "b", "a"), strip.decodeChain(List.of("xxaxxx", "xbxx", "ax")));
    }

    /**
     * tokenizers 0.23 decodes a {@code normalized} added token as its normalized form (here with the
     * "▁" of the Prepend/Replace normalizer) and matches that form in normalized text.
     */
    @Test
    void aNormalizedAddedTokenIsMatchedAndDecodedInItsNormalizedForm() throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(Fixtures.hfTokenizer("spbpe").resolve("tokenizer.json").toFile());
        ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
        normalizer.putArray("normalizers")
                .add(JSON.createObjectNode().put("type", "Prepend").put("prepend", "▁"))
                .add(JSON.readTree("{\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}"));
        root.putNull("pre_tokenizer");
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens")).addObject()
                .put("id", 4096).put("content", "United States").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", true).put("special", false);
        HfTokenizer tokenizer = HfTokenizer.fromJson(root, "legacy");
        assertEquals("▁United▁States", tokenizer.idToToken(4096));
        int[] ids = tokenizer.encode("in the United States");
        assertEquals(4096, ids[ids.length - 1]);
    }
}
