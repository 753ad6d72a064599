package minitron4j.model.tokenizer;

import java.nio.file.Path;
import java.util.OptionalInt;

/** Text to token ids and back, with the ids Hugging Face's {@code tokenizers} gives for the same file. */
public interface Tokenizer {

    /** The ids HF's {@code encode(text)} gives: the post-processor applied (e.g. {@code <s>} in front). */
    int[] encode(String text);

    /**
     * The ids without the post-processor, as HF's {@code encode(text, add_special_tokens=False)}: what
     * training data is made of. Special tokens written in the text are still recognised.
     */
    int[] encodeNoSpecial(String text);

    /** HF's {@code decode}; ids that no token has are refused with an {@link IllegalArgumentException}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** One more than the largest id, added tokens included: the rows an embedding needs. */
    int vocabSize();

    OptionalInt bosId();

    /** The end-of-sequence id (documents are separated by it in token data). */
    OptionalInt eosId();

    /** The token string of an id; {@link IllegalArgumentException} if no token has it. */
    String idToToken(int id);

    /** The id of a token string (added tokens first, then the model's vocabulary). */
    OptionalInt tokenToId(String token);

    /** Writes the tokenizer as an HF tokenizer.json that HF and {@link HfTokenizer#load} read back alike. */
    void save(Path tokenizerJson);
}
