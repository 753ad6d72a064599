package minitron4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer.json, encoded and decoded as the {@code tokenizers} library does, in Java.
 *
 * <p>The pipeline is HF's: added tokens are cut out of the input, the rest is normalized, pre-tokenized
 * and run through the BPE model; {@link #encode} then applies the post-processor. The components and
 * options implemented are those of SentencePiece-style (Llama, Nemotron/Minitron) and GPT-2-style
 * byte-level BPE files; any other component or option value is refused at load with a
 * {@link ModelFormatException} that names the file and the JSON path, never approximated. Fields that do
 * not change ids (offset trimming, type ids, the pair template) are read only as far as HF checks them.
 *
 * <p>BOS and EOS are not part of tokenizer.json: they come from {@code bos_token}/{@code eos_token} of a
 * {@code tokenizer_config.json} beside the file, else BOS is the special token the post-processor puts
 * first, and EOS the first of {@code </s>}, {@code <|endoftext|>}, {@code <|end_of_text|>},
 * {@code <eos>}, {@code <|im_end|>}, {@code <|eot_id|>} that the tokenizer has; {@link #withEosId}
 * overrides it (e.g. with a generation_config.json's choice).
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class HfTokenizer implements Tokenizer {
    /** Vocabularies are JSON objects of 10^5 keys: interning them as field names would only cost time. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build()).enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> EOS_NAMES =
            List.of("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|im_end|>", "<|eot_id|>");
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>");

    private final ObjectNode json;
    private final AddedTokens addedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final TextDecoder decoder;
    private final OptionalInt bosId;
    private final OptionalInt eosId;

    private HfTokenizer(ObjectNode json, AddedTokens addedTokens, Normalizer normalizer, PreTokenizer preTokenizer,
                        BpeModel model, PostProcessor postProcessor, TextDecoder decoder, OptionalInt bosId,
                        OptionalInt eosId) {
        this.json = json;
        this.addedTokens = addedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.bosId = bosId;
        this.eosId = eosId;
    }

    /** Reads a tokenizer.json (and the BOS/EOS names of a tokenizer_config.json beside it, if any). */
    public static HfTokenizer load(Path tokenizerJson) {
        JsonNode root = readJson(tokenizerJson);
        HfTokenizer tokenizer = fromJson(root, tokenizerJson.toString());
        Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return tokenizer;
        }
        JsonField configRoot = JsonField.root(config.toString(), readJson(config));
        OptionalInt bos = tokenizer.configuredId(configRoot.get("bos_token"));
        OptionalInt eos = tokenizer.configuredId(configRoot.get("eos_token"));
        return new HfTokenizer(tokenizer.json, tokenizer.addedTokens, tokenizer.normalizer, tokenizer.preTokenizer,
                tokenizer.model, tokenizer.postProcessor, tokenizer.decoder,
                bos.isPresent() ? bos : tokenizer.bosId, eos.isPresent() ? eos : tokenizer.eosId);
    }

    /** A tokenizer from the content of a tokenizer.json; {@code source} names it in error messages. */
    static HfTokenizer fromJson(JsonNode content, String source) {
        JsonField root = JsonField.root(source, content);
        root.requireObject();
        JsonField version = root.get("version");
        if (!version.isNull() && !version.string().equals("1.0")) {
            throw version.fail("\"1.0\"");
        }
        for (String unsupported : List.of("truncation", "padding")) {
            if (!root.get(unsupported).isNull()) {
                throw root.get(unsupported).unsupported(unsupported);
            }
        }
        JsonField modelField = root.get("model");
        modelField.requireObject();
        boolean bpe = modelField.has("type") ? modelField.type().equals("BPE") : modelField.has("merges");
        if (!bpe) {
            throw modelField.get("type").unsupported("model type '" + modelField.get("type").node().asText() + "'");
        }
        Normalizer normalizer = root.has("normalizer") ? Normalizer.parse(root.get("normalizer")) : null;
        PreTokenizer preTokenizer = root.has("pre_tokenizer") ? PreTokenizer.parse(root.get("pre_tokenizer")) : null;
        BpeModel model = BpeModel.parse(modelField,
                preTokenizer instanceof PreTokenizer.Metaspace m ? m.replacement() : '\u2581');
        PostProcessor postProcessor =
                root.has("post_processor") ? PostProcessor.parse(root.get("post_processor")) : null;
        TextDecoder decoder = root.has("decoder") ? TextDecoder.parse(root.get("decoder")) : null;

        List<AddedTokens.AddedToken> tokens = new ArrayList<>();
        JsonField addedField = root.get("added_tokens");
        for (JsonField token : addedField.isNull() ? List.<JsonField>of() : addedField.elements()) {
            token.get("id").nonNegative(); // HF reads the id but assigns its own (see AddedTokens)
            boolean special = token.get("special").bool(false);
            tokens.add(new AddedTokens.AddedToken(token.get("content").string(), token.get("single_word").bool(false),
                    token.get("lstrip").bool(false), token.get("rstrip").bool(false),
                    token.get("normalized").bool(!special), special));
        }
        AddedTokens addedTokens = new AddedTokens(tokens, model, modelField.get("vocab").node().size(), normalizer);

        OptionalInt bos = postProcessor != null ? postProcessor.leadingSpecialId() : OptionalInt.empty();
        return new HfTokenizer(withoutModel((ObjectNode) content), addedTokens, normalizer, preTokenizer, model,
                postProcessor, decoder, bos.isPresent() ? bos : firstKnown(BOS_NAMES, addedTokens, model),
                firstKnown(EOS_NAMES, addedTokens, model));
    }

    /** A copy of the file's content but the model, which {@link #save} writes from the {@link BpeModel}. */
    private static ObjectNode withoutModel(ObjectNode content) {
        ObjectNode copy = JSON.createObjectNode();
        content.properties().forEach(e -> copy.set(e.getKey(), e.getKey().equals("model")
                ? JSON.createObjectNode() : e.getValue().deepCopy()));
        ObjectNode model = (ObjectNode) copy.get("model");
        content.get("model").properties().forEach(e -> {
            if (!e.getKey().equals("vocab") && !e.getKey().equals("merges")) {
                model.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        return copy;
    }

    /** The same tokenizer with another end-of-sequence id. */
    public HfTokenizer withEosId(int id) {
        if (id < 0 || id >= vocabSize()) {
            throw new IllegalArgumentException("EOS id " + id + " outside the vocabulary [0, " + vocabSize() + ")");
        }
        return new HfTokenizer(json, addedTokens, normalizer, preTokenizer, model, postProcessor, decoder, bosId,
                OptionalInt.of(id));
    }

    @Override
    public int[] encode(String text) {
        int[] ids = encodeNoSpecial(text);
        return postProcessor == null ? ids : postProcessor.apply(ids);
    }

    @Override
    public int[] encodeNoSpecial(String text) {
        IntList ids = new IntList(text.length() / 3 + 8);
        List<Piece> words = new ArrayList<>();
        for (Piece piece : addedTokens.extractAndNormalize(text, normalizer)) {
            if (piece.tokenId >= 0) {
                ids.add(piece.tokenId);
            } else if (preTokenizer == null) {
                model.tokenize(piece.text, ids);
            } else {
                words.clear();
                preTokenizer.split(piece, words);
                for (Piece word : words) {
                    model.tokenize(word.text, ids);
                }
            }
        }
        return ids.toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = idToToken(id);
            if (!skipSpecialTokens || !addedTokens.isSpecial(token)) {
                tokens.add(token);
            }
        }
        return decoder == null ? String.join(" ", tokens) : String.join("", decoder.decodeChain(tokens));
    }

    @Override
    public int vocabSize() {
        return Math.max(model.vocabSize(), addedTokens.maxId() + 1);
    }

    @Override
    public OptionalInt bosId() {
        return bosId;
    }

    @Override
    public OptionalInt eosId() {
        return eosId;
    }

    @Override
    public String idToToken(int id) {
        String token = addedTokens.tokenOf(id);
        if (token == null) {
            token = model.idToToken(id);
        }
        if (token == null) {
            throw new IllegalArgumentException("no token has id " + id + " (vocabulary size " + vocabSize() + ")");
        }
        return token;
    }

    @Override
    public OptionalInt tokenToId(String token) {
        return idOf(token, addedTokens, model);
    }

    private static OptionalInt idOf(String token, AddedTokens addedTokens, BpeModel model) {
        Integer id = addedTokens.idOf(token);
        if (id == null) {
            id = model.tokenToId(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Writes the file as loaded, with the model in HF's own layout (vocab by id, merges as pairs). */
    @Override
    public void save(Path tokenizerJson) {
        ObjectNode out = json.deepCopy();
        out.set("model", model.toJson((ObjectNode) json.get("model")));
        try {
            Path parent = tokenizerJson.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            JSON.writeValue(tokenizerJson.toFile(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tokenizerJson, e);
        }
    }

    private static OptionalInt firstKnown(List<String> names, AddedTokens addedTokens, BpeModel model) {
        for (String name : names) {
            OptionalInt id = idOf(name, addedTokens, model);
            if (id.isPresent()) {
                return id;
            }
        }
        return OptionalInt.empty();
    }

    /** A {@code bos_token}/{@code eos_token} of tokenizer_config.json: a string, an AddedToken object or null. */
    private OptionalInt configuredId(JsonField field) {
        if (field.isNull()) {
            return OptionalInt.empty();
        }
        JsonField name = field.node().isObject() ? field.get("content") : field;
        OptionalInt id = tokenToId(name.string());
        if (id.isEmpty()) {
            throw name.fail("a token of the tokenizer");
        }
        return id;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
