package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What is not implemented, or is broken, is refused with the file, the JSON path and what was found. */
class HfTokenizerErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private ObjectNode spbpe() throws IOException {
        return (ObjectNode) JSON.readTree(Fixtures.hfTokenizer("spbpe").resolve("tokenizer.json").toFile());
    }

    /** Loads the edited fixture and returns the message, which must name the file and {@code path}. */
    private String refusal(Consumer<ObjectNode> edit, String path) throws IOException {
        ObjectNode root = spbpe();
        edit.accept(root);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        String message = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(file)).getMessage();
        assertTrue(message.startsWith(file + ": " + path + ":"), message);
        return message;
    }

    private static ObjectNode typed(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    @Test
    void unimplementedComponentsAreNamedWithTheirPath() throws IOException {
        assertTrue(refusal(r -> r.set("normalizer", typed("Lowercase")), "normalizer.type").contains("Lowercase"));
        assertTrue(refusal(r -> r.set("decoder", typed("WordPiece")), "decoder.type").contains("WordPiece"));
        assertTrue(refusal(r -> r.set("post_processor", typed("BertProcessing")), "post_processor.type")
                .contains("BertProcessing"));
        assertTrue(refusal(r -> ((ObjectNode) r.get("model")).put("type", "Unigram"), "model.type")
                .contains("Unigram"));
        refusal(r -> {
            ObjectNode sequence = typed("Sequence");
            sequence.putArray("pretokenizers").add(r.get("pre_tokenizer")).add(typed("Digits"));
            r.set("pre_tokenizer", sequence);
        }, "pre_tokenizer.pretokenizers[1].type");
    }

    @Test
    void unimplementedOptionValuesAreRefused() throws IOException {
        refusal(r -> r.putObject("truncation").put("max_length", 512), "truncation");
        refusal(r -> r.putObject("padding").put("pad_id", 1), "padding");
        refusal(r -> ((ObjectNode) r.get("model")).put("dropout", 0.1), "model.dropout");
        assertTrue(refusal(r -> ((ObjectNode) r.get("pre_tokenizer")).put("prepend_scheme", "sometimes"),
                "pre_tokenizer.prepend_scheme").contains("\"first\", \"always\" or \"never\""));
        refusal(r -> {
            ObjectNode split = typed("Split");
            split.putObject("pattern").put("Regex", "\\d+");
            split.put("behavior", "Sideways");
            split.put("invert", false);
            r.set("pre_tokenizer", split);
        }, "pre_tokenizer.behavior");
        refusal(r -> {
            ObjectNode replace = typed("Replace");
            replace.putObject("pattern").put("Regex", "(unclosed");
            replace.put("content", "");
            r.set("normalizer", replace);
        }, "normalizer.pattern.Regex");
        assertTrue(refusal(r -> {
            ObjectNode split = typed("Split");
            split.putObject("pattern").put("Regex", "\\h+"); // a hex digit in Oniguruma, a blank in Java
            split.put("behavior", "Isolated");
            split.put("invert", false);
            r.set("pre_tokenizer", split);
        }, "pre_tokenizer.pattern.Regex").contains("Oniguruma"));
        refusal(r -> r.put("version", "2.0"), "version");
    }

    @Test
    void brokenModelsAndTemplatesAreNamed() throws IOException {
        assertTrue(refusal(r -> ((ArrayNode) r.get("model").get("merges")).insertArray(0).add("▁").add("nowhere"),
                "model.merges").contains("'nowhere' is not in it"));
        refusal(r -> ((ObjectNode) r.get("model")).putArray("merges").add("a b c"), "model.merges[0]");
        refusal(r -> ((ObjectNode) r.get("post_processor").get("single").get(0).get("SpecialToken")).put("id", "<bos>"),
                "post_processor.single[0].SpecialToken.id");
        refusal(r -> ((ObjectNode) r.get("added_tokens").get(0)).remove("content"), "added_tokens[0].content");
    }

    @Test
    void aHugeVocabularyIdIsNamedRatherThanAllocated() throws IOException {
        for (int id : new int[]{Integer.MAX_VALUE, 400_000_000}) {
            String m = refusal(r -> ((ObjectNode) r.get("model").get("vocab")).put("huge", id), "model.vocab.huge");
            assertTrue(m.contains("expected an id below") && m.contains(String.valueOf(id)), m);
        }
    }

    @Test
    void notJsonAndUnknownConfiguredEosAreNamed() throws IOException {
        Path garbage = dir.resolve("tokenizer.json");
        Files.writeString(garbage, "{ not json");
        String message = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(garbage)).getMessage();
        assertTrue(message.startsWith(garbage + ": not valid JSON"), message);

        JSON.writeValue(garbage.toFile(), spbpe());
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"eos_token\": \"<|eot|>\"}");
        message = assertThrows(ModelFormatException.class, () -> HfTokenizer.load(garbage)).getMessage();
        assertTrue(message.startsWith(config + ": eos_token: expected a token of the tokenizer"), message);
    }

    @Test
    void anUnkTokenMissingFromTheVocabularyFailsWhenAnUnknownCharComes() throws IOException {
        ObjectNode root = spbpe();
        ((ObjectNode) root.get("model")).put("unk_token", "<missing>").put("byte_fallback", false);
        HfTokenizer tokenizer = HfTokenizer.fromJson(root, "edited");
        tokenizer.encode("the"); // known chars need no unk, as in HF
        String message = assertThrows(ModelFormatException.class, () -> tokenizer.encode("数")).getMessage();
        assertTrue(message.contains("edited: model.unk_token: '<missing>' is not in the vocabulary"), message);
    }

    @Test
    void componentsThatAreNotObjectsAreNamed() throws IOException {
        JsonNode notAnObject = JSON.getNodeFactory().textNode("Metaspace");
        refusal(r -> r.set("pre_tokenizer", notAnObject), "pre_tokenizer");
    }
}
