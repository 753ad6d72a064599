package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Every encoding and decoding HF recorded for the two fixture tokenizers, reproduced exactly. */
class HfTokenizerFixtureTest {

    record Case(String text, int[] ids, List<String> tokens, String decoded) {
    }

    static List<Case> cases(String name) throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.hfTokenizer(name).resolve("encodings.json").toFile());
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            int[] ids = new int[c.get("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = c.get("ids").get(i).intValue();
            }
            List<String> tokens = new ArrayList<>();
            c.get("tokens").forEach(t -> tokens.add(t.textValue()));
            cases.add(new Case(c.get("text").textValue(), ids, tokens, c.get("decoded").textValue()));
        }
        return cases;
    }

    static HfTokenizer load(String name) {
        return HfTokenizer.load(Fixtures.hfTokenizer(name).resolve("tokenizer.json"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"spbpe", "bytelevel"})
    void encodesEveryRecordedTextToHfIds(String name) throws IOException {
        HfTokenizer tokenizer = load(name);
        List<Case> cases = cases(name);
        assertFalse(cases.isEmpty());
        for (Case c : cases) {
            assertArrayEquals(c.ids(), tokenizer.encode(c.text()), () -> name + ": " + c.text());
            List<String> tokens = new ArrayList<>();
            for (int id : c.ids()) {
                tokens.add(tokenizer.idToToken(id));
            }
            assertEquals(c.tokens(), tokens, () -> name + ": " + c.text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"spbpe", "bytelevel"})
    void decodesEveryRecordedIdListToHfText(String name) throws IOException {
        HfTokenizer tokenizer = load(name);
        for (Case c : cases(name)) {
            assertEquals(c.decoded(), tokenizer.decode(c.ids(), false), () -> name + ": " + c.text());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"spbpe", "bytelevel"})
    void savedFileLoadsBackWithTheSameEncodings(String name, @TempDir Path dir) throws IOException {
        HfTokenizer original = load(name);
        Path saved = dir.resolve("tokenizer.json");
        original.save(saved);
        HfTokenizer reloaded = HfTokenizer.load(saved);
        assertEquals(original.vocabSize(), reloaded.vocabSize());
        for (Case c : cases(name)) {
            assertArrayEquals(c.ids(), reloaded.encode(c.text()), () -> name + ": " + c.text());
            assertEquals(c.decoded(), reloaded.decode(c.ids(), false), () -> name + ": " + c.text());
        }
    }
}
