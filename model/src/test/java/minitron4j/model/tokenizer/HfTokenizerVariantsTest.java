package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 46 variants of the fixture tokenizers (every implemented option) against what HF's own library
 * returned for 51 awkward strings: hf-variants.json, described in hf-variants.md beside it.
 */
class HfTokenizerVariantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> everyVariantEncodesAndDecodesAsHf() throws IOException {
        JsonNode golden;
        try (InputStream in = HfTokenizerVariantsTest.class.getResourceAsStream("hf-variants.json")) {
            golden = JSON.readTree(in);
        }
        List<String> texts = new ArrayList<>();
        golden.get("texts").forEach(t -> texts.add(t.textValue()));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode variant : golden.get("variants")) {
            String name = variant.get("name").textValue();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                HfTokenizer tokenizer = HfTokenizer.fromJson(build(variant), name);
                for (int i = 0; i < texts.size(); i++) {
                    String text = texts.get(i);
                    JsonNode expected = variant.get("results").get(i);
                    String where = name + ": " + JSON.writeValueAsString(text);
                    assertArrayEquals(ids(expected.get(0)), tokenizer.encodeNoSpecial(text), where);
                    int[] ids = tokenizer.encode(text);
                    assertArrayEquals(ids(expected.get(1)), ids, where);
                    assertEquals(expected.get(2).textValue(), tokenizer.decode(ids, false), where);
                    assertEquals(expected.get(3).textValue(), tokenizer.decode(ids, true), where);
                }
            }));
        }
        return tests;
    }

    /** The variant's tokenizer.json: its base fixture with the recorded replacements applied. */
    static ObjectNode build(JsonNode variant) throws IOException {
        ObjectNode root = variant.get("base").isNull() ? JSON.createObjectNode()
                : (ObjectNode) JSON.readTree(Fixtures.hfTokenizer(variant.get("base").textValue())
                        .resolve("tokenizer.json").toFile());
        if (variant.has("set")) {
            variant.get("set").properties().forEach(e -> root.set(e.getKey(), e.getValue()));
        }
        ObjectNode model = (ObjectNode) root.get("model");
        if (variant.has("model")) {
            variant.get("model").properties().forEach(e -> model.set(e.getKey(), e.getValue()));
        }
        if (variant.has("prepend_merges")) {
            ObjectNode vocab = (ObjectNode) model.get("vocab");
            ArrayNode merges = JSON.createArrayNode();
            for (JsonNode merge : variant.get("prepend_merges")) {
                String merged = merge.get(0).textValue() + merge.get(1).textValue();
                if (!vocab.has(merged)) {
                    vocab.put(merged, vocab.size());
                }
                merges.add(merge);
            }
            merges.addAll((ArrayNode) model.get("merges"));
            model.set("merges", merges);
        }
        if (variant.has("merges_as_strings")) {
            ArrayNode strings = JSON.createArrayNode();
            model.get("merges").forEach(p -> strings.add(p.get(0).textValue() + " " + p.get(1).textValue()));
            model.set("merges", strings);
        }
        if (variant.has("append_added_tokens")) {
            ArrayNode added = (ArrayNode) root.get("added_tokens");
            int next = 0;
            for (JsonNode token : added) {
                next = Math.max(next, token.get("id").intValue() + 1);
            }
            for (JsonNode id : model.get("vocab")) {
                next = Math.max(next, id.intValue() + 1);
            }
            for (JsonNode token : variant.get("append_added_tokens")) {
                ObjectNode entry = added.addObject();
                entry.put("id", next++);
                token.properties().forEach(e -> entry.set(e.getKey(), e.getValue()));
            }
        }
        return root;
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).intValue();
        }
        return ids;
    }
}
