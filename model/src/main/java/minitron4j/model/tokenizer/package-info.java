/**
 * Tokenizers: Hugging Face tokenizer.json files encoded and decoded exactly as HF's {@code tokenizers}
 * (0.23) does, a byte tokenizer for small models, and a BPE trainer for the Nemotron/Minitron layout.
 *
 * <ul>
 *   <li>{@link minitron4j.model.tokenizer.Tokenizer}: the interface the rest of the project uses.</li>
 *   <li>{@link minitron4j.model.tokenizer.HfTokenizer}: {@code load(Path)} and {@code save(Path)} of a
 *       tokenizer.json. Implemented: added tokens (special or not, {@code single_word}, {@code lstrip},
 *       {@code rstrip}, {@code normalized}); normalizers Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD;
 *       pre-tokenizers Metaspace, ByteLevel, Split, Sequence; the BPE model with every option but dropout;
 *       post-processors TemplateProcessing, ByteLevel, Sequence; decoders Sequence, Replace,
 *       ByteFallback, Fuse, Strip, Metaspace, ByteLevel. Anything else is refused at load.</li>
 *   <li>{@link minitron4j.model.tokenizer.ByteTokenizer}: bytes 0..255 plus {@code <s> </s> <pad>}.</li>
 *   <li>{@link minitron4j.model.tokenizer.BpeTrainer}: trains a SentencePiece-style BPE with byte fallback.</li>
 * </ul>
 *
 * <p>Where this code differs from HF on purpose: {@code decode} and {@code idToToken} refuse ids that no
 * token has (HF skips them); a Strip decoder asked to strip more than a token holds strips what it can
 * (HF panics); regular expressions run on {@link java.util.regex} with Unicode classes instead of
 * Oniguruma (they agree on the patterns tokenizer files use, the Llama 3 and GPT-2 splits included); the
 * GPT-2 split of the ByteLevel pre-tokenizer is a hand-written scanner of the same regex.
 */
package minitron4j.model.tokenizer;
