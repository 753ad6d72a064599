package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The tokenizer of small byte-level models: ids 0..255 are the UTF-8 bytes of the text, then
 * {@code <s>} = 256, {@code </s>} = 257 (EOS) and {@code <pad>} = 258.
 *
 * <p>It is an ordinary HF tokenizer.json: a BPE model without merges whose vocabulary is the 256
 * {@code <0xNN>} byte tokens (ordinary entries, as in the Minitron file) plus the three special tokens,
 * with {@code byte_fallback}, so every char becomes its bytes; no normalizer, pre-tokenizer or
 * post-processor (nothing is added around a text); decoder ByteFallback (bytes back to text, one
 * U+FFFD per byte of an ill-formed run). HF's {@code tokenizers} loads the saved file and encodes
 * alike; literal {@code <s>}, {@code </s>}, {@code <pad>} in a text are the special tokens, as in HF.
 */
public final class ByteTokenizer {
    public static final int BOS_ID = 256;
    public static final int EOS_ID = 257;
    public static final int PAD_ID = 258;
    public static final int VOCAB_SIZE = 259;

    private ByteTokenizer() {
    }

    public static HfTokenizer create() {
        return HfTokenizer.fromJson(json(), "byte tokenizer");
    }

    static ObjectNode json() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<s>", "</s>", "<pad>"};
        for (int i = 0; i < specials.length; i++) {
            added.add(TokenizerJson.specialToken(256 + i, specials[i]));
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteFallback");
        ObjectNode model = TokenizerJson.bpeModel(null, true);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(BpeModel.byteToken(b), b);
        }
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], 256 + i);
        }
        model.putArray("merges");
        root.set("model", model);
        return root;
    }
}
