package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Parts of tokenizer.json content for the tokenizers made in code, in HF's field order. */
final class TokenizerJson {
    private TokenizerJson() {
    }

    /** An entry of {@code added_tokens}: special, matched in the raw text, no stripping. */
    static ObjectNode specialToken(int id, String content) {
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
