package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link BpeTrainer}: the spbpe layout, determinism, exact round trips, and save/load identity. */
class TokenizerTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sennrich et al.'s example: words low x5, lower x2, newest x6, widest x3. */
    private static final List<String> CLASSIC = List.of(
            "low low low low low lower lower", "newest newest newest newest newest newest widest widest widest");

    private static List<String> smallCorpus() throws IOException {
        List<String> documents = new ArrayList<>();
        for (HfTokenizerFixtureTest.Case c : HfTokenizerFixtureTest.cases("spbpe")) {
            documents.add(c.text());
        }
        documents.add("""
                Fellow-Citizens of the Senate and House of Representatives: In meeting you again I feel much
                satisfaction in being able to repeat my congratulations on the favorable prospects which continue
                to distinguish our public affairs. The abundant fruits of another year have blessed our country
                with plenty and with the means of a flourishing commerce.""".repeat(3));
        return documents;
    }

    @Test
    void mergesTheMostFrequentPairFirstWithTiesToTheSmallerIds() throws IOException {
        HfTokenizer tokenizer = new BpeTrainer(260 + 11 + 3).train(CLASSIC);
        JsonNode merges = savedJson(tokenizer).get("model").get("merges");
        // e (17) and s, t (9 each) are the alphabet's 1st, 4th and 5th chars: "e s" beats "s t" on ids
        assertEquals("[[\"e\",\"s\"],[\"es\",\"t\"],[\"▁\",\"l\"]]", merges.toString());
        assertArrayEquals(new int[] {2, tokenizer.tokenToId("▁l").getAsInt(), tokenizer.tokenToId("o").getAsInt(),
                tokenizer.tokenToId("w").getAsInt()}, tokenizer.encode("low"));
    }

    @Test
    void hasTheNemotronLayout() throws IOException {
        HfTokenizer tokenizer = new BpeTrainer(450).train(smallCorpus());
        assertEquals(450, tokenizer.vocabSize());
        String[] specials = {"<unk>", "<pad>", "<s>", "</s>"};
        for (int id = 0; id < 4; id++) {
            assertEquals(specials[id], tokenizer.idToToken(id));
        }
        for (int b = 0; b < 256; b++) {
            assertEquals(String.format("<0x%02X>", b), tokenizer.idToToken(4 + b));
        }
        assertEquals(OptionalInt.of(2), tokenizer.bosId());
        assertEquals(OptionalInt.of(3), tokenizer.eosId());
        JsonNode json = savedJson(tokenizer);
        assertEquals("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"first\",\"split\":false}",
                json.get("pre_tokenizer").toString());
        assertEquals(4, json.get("added_tokens").size());
        assertEquals(true, json.get("model").get("byte_fallback").booleanValue());
        assertEquals("<unk>", json.get("model").get("unk_token").textValue());
    }

    @Test
    void trainingIsDeterministic(@TempDir Path dir) throws IOException {
        new BpeTrainer(450).train(smallCorpus()).save(dir.resolve("a.json"));
        new BpeTrainer(450).train(smallCorpus()).save(dir.resolve("b.json"));
        assertEquals(Files.readString(dir.resolve("a.json")), Files.readString(dir.resolve("b.json")));
    }

    /** Texts not starting with a space come back exactly (HF's Strip decoder drops one leading space). */
    @Test
    void encodeThenDecodeGivesTheTextBackIncludingBytesOutsideTheAlphabet() throws IOException {
        HfTokenizer tokenizer = new BpeTrainer(450).train(smallCorpus());
        for (String text : new String[] {"Hello world", "The Union is strong.\nNew line\tand tab",
                "naïve café — “quotes” and ‘apostrophes’", "数字 1234567890 and emoji 🙂🚀", "a", "",
                "ends with space ", "x  double  spaces", "\u00a0non-breaking\u00a0space", "zero\u200bwidth",
                "e=mc^2; x<y>z & {braces} <0x41>", "\n\nleading newlines"}) {
            int[] ids = tokenizer.encode(text);
            assertEquals(2, ids[0], text);
            assertEquals(text, tokenizer.decode(ids, true), text);
        }
    }

    @Test
    void savedFileLoadsBackWithTheSameIds(@TempDir Path dir) throws IOException {
        HfTokenizer trained = new BpeTrainer(450).train(smallCorpus());
        Path file = dir.resolve("tokenizer.json");
        trained.save(file);
        HfTokenizer loaded = HfTokenizer.load(file);
        for (String document : smallCorpus()) {
            assertArrayEquals(trained.encode(document), loaded.encode(document), document);
        }
        assertEquals(trained.vocabSize(), loaded.vocabSize());
    }

    @Test
    void refusesAVocabularyWithoutRoomForMerges() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(260));
    }

    @Test
    void stopsWhereNoPairIsFrequentEnough() {
        HfTokenizer tokenizer = new BpeTrainer(5000).train(CLASSIC);
        // 260 reserved + 11 chars + merges of pairs seen at least twice
        assertEquals(true, tokenizer.vocabSize() < 300);
    }

    private static JsonNode savedJson(HfTokenizer tokenizer) throws IOException {
        Path file = Files.createTempFile("trained", ".json");
        try {
            tokenizer.save(file);
            return JSON.readTree(file.toFile());
        } finally {
            Files.delete(file);
        }
    }
}
