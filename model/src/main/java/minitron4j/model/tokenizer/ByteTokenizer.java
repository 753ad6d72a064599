package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The tokenizer of small byte-level models: ids 0..255 are the UTF-8 bytes of the text, then
 * {@code <s>} = 256, {@code </s>} = 257 (EOS) and {@code <pad>} = 258.
 *
 * <p>It is an ordinary HF tokenizer.json in GPT-2's byte-level form: pre-tokenizer ByteLevel without the
 * regex split and without a prefix space (every byte becomes its printable stand-in char, 'Ġ' for a
 * space), a BPE model without merges whose vocabulary maps the stand-in of byte b to id b, the three
 * special tokens as added tokens, no normalizer and no post-processor (nothing is added around a
 * text), decoder ByteLevel. HF's {@code tokenizers} loads the saved file and encodes alike. Decoding
 * replaces only the ill-formed bytes (one U+FFFD per maximal ill-formed part), so a generation cut in
 * the middle of a char still decodes. Literal {@code <s>}, {@code </s>}, {@code <pad>} in a text are the
 * special tokens, as in HF.
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

    private static ObjectNode json() {
        String[] specials = {"<s>", "</s>", "<pad>"};
        ObjectNode root = TokenizerJson.root(BOS_ID, specials);
        root.set("pre_tokenizer", TokenizerJson.byteLevel());
        root.putNull("post_processor");
        root.set("decoder", TokenizerJson.byteLevel());
        ObjectNode model = TokenizerJson.bpeModel(null, false);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        }
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], BOS_ID + i);
        }
        model.putArray("merges");
        root.set("model", model);
        return root;
    }
}
