package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Parts of tokenizer.json content for the tokenizers made in code, in HF's field order. */
final class TokenizerJson {
    private TokenizerJson() {
    }

    /**
     * The start of a tokenizer.json: version, no truncation or padding, the special tokens (ids from
     * {@code firstId} on; special, matched in the raw text, no stripping) and no normalizer.
     */
    static ObjectNode root(int firstId, String... specials) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials.length; i++) {
            added.add(specialToken(firstId + i, specials[i]));
        }
        root.putNull("normalizer");
        return root;
    }

    /** ByteLevel without a prefix space or the regex split, as pre-tokenizer or decoder. */
    static ObjectNode byteLevel() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", true);
        node.put("use_regex", false);
        return node;
    }

    private static ObjectNode specialToken(int id, String content) {
        ObjectNode token = JsonNodeFactory.instance.objectNode();
        token.put("id", id);
        token.put("content", content);
        token.put("single_word", false);
        token.put("lstrip", false);
        token.put("rstrip", false);
        token.put("normalized", false);
        token.put("special", true);
        return token;
    }

    /** A BPE model's options, before its vocab and merges. */
    static ObjectNode bpeModel(String unkToken, boolean byteFallback) {
        ObjectNode model = JsonNodeFactory.instance.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unkToken == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unkToken);
        }
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", unkToken != null);
        model.put("byte_fallback", byteFallback);
        model.put("ignore_merges", false);
        return model;
    }
}
