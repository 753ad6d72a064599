package minitron4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The shape of a Nemotron model, read from a Hugging Face config.json.
 *
 * <p>Accepts every field variant real checkpoints use: rope settings at top level (transformers v4),
 * inside {@code rope_parameters} (v5) or as {@code rope_percent} (oldest Minitron revisions);
 * {@code head_dim}, {@code kv_channels} or neither (then hidden / heads). Fields this class does not
 * model are kept verbatim in {@link #extra} so that writing back loses nothing.
 */
public record NemotronConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double partialRotaryFactor,
        double ropeTheta,
        double normEps,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId,
        int padTokenId,
        double initializerRange,
        HeadSpec head,
        ObjectNode extra) {

    /** {@link #padTokenId} when config.json sets none (HF's None). */
    public static final int NO_PAD = -1;

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public NemotronConfig {
        extra = extra == null ? JSON.createObjectNode() : extra.deepCopy();
        if (head == null) head = HeadSpec.causalLm();
        validate("config", vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, partialRotaryFactor, normEps, maxPositionEmbeddings);
    }

    /** A config built in code (tests, shapes trained from scratch); HF defaults for the rest. */
    public static NemotronConfig of(int vocab, int hidden, int ffn, int layers, int heads, int kvHeads, int headDim,
                                    boolean tied) {
        return new NemotronConfig(vocab, hidden, ffn, layers, heads, kvHeads, headDim, 0.5, 10000.0, 1e-5, 1024,
                tied, 2, 3, 0, 0.02, null, null);
    }

    /** Rotary dimension per head: int(head_dim * partial_rotary_factor), as HF computes it. */
    public int rotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    public int qDim() {
        return numAttentionHeads * headDim;
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }

    public long parameterCount() {
        long h = hiddenSize, v = vocabSize;
        long perLayer = h * qDim() * 2L + h * kvDim() * 2L + 2L * h * intermediateSize + 4L * h;
        long headBias = head.architecture().headBias() == null ? 0 : headOutputs();
        return v * h + headMatrixParameters() + headBias + numHiddenLayers * perLayer + 2L * h;
    }

    /** Entries of the head's own weight matrix [outputs, H]: none for the base model or a tied LM head. */
    public long headMatrixParameters() {
        if (head.architecture() == Architecture.CAUSAL_LM && tieWordEmbeddings) return 0;
        return (long) headOutputs() * hiddenSize;
    }

    public NemotronConfig withShape(int hidden, int heads, int kvHeads, int ffn, int layers) {
        return new NemotronConfig(vocabSize, hidden, ffn, layers, heads, kvHeads, headDim, partialRotaryFactor,
                ropeTheta, normEps, maxPositionEmbeddings, tieWordEmbeddings, bosTokenId, eosTokenId, padTokenId,
                initializerRange, head, extra);
    }

    /** This shape as another model-card class (labels and problem type included). */
    public NemotronConfig withHead(HeadSpec head) {
        return new NemotronConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, partialRotaryFactor, ropeTheta, normEps, maxPositionEmbeddings, tieWordEmbeddings, bosTokenId,
                eosTokenId, padTokenId, initializerRange, head, extra);
    }

    /** This config with pad_token_id set (what sequence classification pools by and batches pad with). */
    public NemotronConfig withPadTokenId(int pad) {
        return new NemotronConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, partialRotaryFactor, ropeTheta, normEps, maxPositionEmbeddings, tieWordEmbeddings, bosTokenId,
                eosTokenId, pad, initializerRange, head, extra);
    }

    public Architecture architecture() {
        return head.architecture();
    }

    /** Columns of the head's output per position: V for the causal LM, num_labels, 2 for QA, 0 for the base model. */
    public int headOutputs() {
        return switch (head.architecture()) {
            case CAUSAL_LM -> vocabSize;
            case BASE -> 0;
            case SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION -> head.numLabels();
            case QUESTION_ANSWERING -> 2;
        };
    }

    /**
     * Refuses a model that is not a causal LM for what needs next-token logits (generation,
     * perplexity, CE and KD training), naming the class config.json declares.
     */
    public void requireCausalLm(String what) {
        if (head.architecture() != Architecture.CAUSAL_LM)
            throw new IllegalArgumentException(what + " needs next-token logits, from a " + Architecture.CAUSAL_LM.hfName()
                    + "; this model is a " + head.architecture().hfName() + " (config.json's architectures)"
                    + (head.architecture().task() == null ? "" : "; its head trains with finetune --task " + head.architecture().task()));
    }

    /** Whether pad_token_id is set (HF pools sequence classification at the last token that is not it). */
    public boolean hasPadToken() {
        return padTokenId != NO_PAD;
    }

    /**
     * The token-classification head's dropout probability, as HF chooses it: classifier_dropout, else
     * hidden_dropout, else 0.1 (NemotronConfig defines neither, so they come from config.json's extra fields).
     */
    public double classifierDropout() {
        for (String field : new String[]{"classifier_dropout", "hidden_dropout"}) {
            JsonNode n = extra.get(field);
            if (n != null && !n.isNull()) return n.asDouble();
        }
        return 0.1;
    }

    public static NemotronConfig load(Path file) throws IOException {
        if (Files.isDirectory(file)) file = file.resolve("config.json");
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file + ": no config.json here");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage());
        }
        return parse(root, file.toString());
    }

    public static NemotronConfig parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": config must be a JSON object");
        Reader r = new Reader(root, source);
        String modelType = r.string("model_type", null);
        if (modelType == null) throw r.error("model_type", "is missing (expected \"nemotron\")");
        if (!modelType.equals("nemotron"))
            throw r.error("model_type", "is \"" + modelType + "\", expected \"nemotron\"");
        String act = r.string("hidden_act", "relu2");
        if (!act.equals("relu2")) throw r.error("hidden_act", "is \"" + act + "\", only relu2 (squared ReLU) is supported");
        if (r.bool("attention_bias", false)) throw r.error("attention_bias", "is true; Nemotron projections have no bias");
        if (r.bool("mlp_bias", false)) throw r.error("mlp_bias", "is true; Nemotron MLP has no bias");

        int hidden = r.integer("hidden_size", -1, true);
        int heads = r.integer("num_attention_heads", -1, true);
        int kvHeads = r.integer("num_key_value_heads", heads, false);
        int headDim = r.has("head_dim") && !root.get("head_dim").isNull() ? r.integer("head_dim", -1, true)
                : r.has("kv_channels") && !root.get("kv_channels").isNull() ? r.integer("kv_channels", -1, true)
                : (heads > 0 && hidden % heads == 0 ? hidden / heads : -1);
        if (headDim <= 0) throw r.error("head_dim", "is absent and hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);

        JsonNode rope = root.get("rope_parameters");
        if (rope == null || rope.isNull()) rope = root.get("rope_scaling");
        double factor;
        double theta;
        if (rope != null && rope.isObject()) {
            String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
            if (!type.equals("default"))
                throw r.error("rope_parameters.rope_type", "is \"" + type + "\"; only default RoPE is supported");
        }
        if (rope != null && rope.isObject() && rope.has("partial_rotary_factor")) factor = rope.get("partial_rotary_factor").asDouble();
        else if (r.has("partial_rotary_factor")) factor = r.number("partial_rotary_factor", 0.5);
        else if (r.has("rope_percent")) factor = r.number("rope_percent", 0.5);
        else factor = 0.5;
        if (rope != null && rope.isObject() && rope.has("rope_theta")) theta = rope.get("rope_theta").asDouble();
        else theta = r.number("rope_theta", 10000.0);
        if (!(theta > 0)) throw r.error("rope_theta", "must be positive, got " + theta);

        ObjectNode extra = ((ObjectNode) root).deepCopy();
        for (String k : MODELLED) extra.remove(k);
        int vocab = r.integer("vocab_size", -1, true);
        int ffn = r.integer("intermediate_size", -1, true);
        int layers = r.integer("num_hidden_layers", -1, true);
        double eps = r.number("norm_eps", r.number("layer_norm_eps", 1e-5));
        int maxPos = r.integer("max_position_embeddings", 4096, false);
        validate(source, vocab, hidden, ffn, layers, heads, kvHeads, headDim, factor, eps, maxPos);
        return new NemotronConfig(vocab, hidden, ffn, layers, heads, kvHeads, headDim, factor, theta, eps, maxPos,
                r.bool("tie_word_embeddings", false),
                r.integer("bos_token_id", 2, false), r.eosId(), r.integer("pad_token_id", NO_PAD, false),
                r.number("initializer_range", 0.02), r.head(), extra);
    }

    private static final String[] MODELLED = {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "kv_channels", "partial_rotary_factor",
            "rope_percent", "rope_theta", "rope_parameters", "rope_scaling", "norm_eps", "layer_norm_eps",
            "max_position_embeddings", "tie_word_embeddings", "bos_token_id", "eos_token_id", "pad_token_id",
            "initializer_range", "model_type", "hidden_act", "architectures", "attention_bias", "mlp_bias",
            "id2label", "label2id", "num_labels", "problem_type"};

    static void validate(String source, int vocab, int hidden, int ffn, int layers, int heads, int kvHeads,
                         int headDim, double factor, double eps, int maxPos) {
        positive(source, "vocab_size", vocab);
        positive(source, "hidden_size", hidden);
        positive(source, "intermediate_size", ffn);
        positive(source, "num_hidden_layers", layers);
        positive(source, "num_attention_heads", heads);
        positive(source, "num_key_value_heads", kvHeads);
        positive(source, "head_dim", headDim);
        positive(source, "max_position_embeddings", maxPos);
        if (heads % kvHeads != 0)
            throw new ModelFormatException(source + ": num_attention_heads " + heads
                    + " is not divisible by num_key_value_heads " + kvHeads);
        if (!(factor > 0 && factor <= 1))
            throw new ModelFormatException(source + ": partial_rotary_factor must be in (0, 1], got " + factor);
        int rot = (int) (headDim * factor);
        if (rot % 2 != 0 || rot == 0)
            throw new ModelFormatException(source + ": rotary dim int(head_dim " + headDim + " * partial_rotary_factor "
                    + factor + ") = " + rot + " must be even and positive");
        if (!(eps > 0)) throw new ModelFormatException(source + ": norm_eps must be positive, got " + eps);
    }

    private static void positive(String source, String field, int v) {
        if (v <= 0) throw new ModelFormatException(source + ": " + field + " must be positive, got " + v);
    }

    /** The config as HF transformers writes it (v4 fields at top level plus v5 rope_parameters). */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(head.architecture().hfName());
        o.put("model_type", "nemotron");
        o.put("hidden_act", "relu2");
        o.put("attention_bias", false);
        o.put("mlp_bias", false);
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("head_dim", headDim);
        o.put("partial_rotary_factor", partialRotaryFactor);
        o.put("rope_theta", ropeTheta);
        ObjectNode rp = o.putObject("rope_parameters");
        rp.put("rope_type", "default");
        rp.put("rope_theta", ropeTheta);
        rp.put("partial_rotary_factor", partialRotaryFactor);
        o.put("norm_eps", normEps);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        if (hasPadToken()) o.put("pad_token_id", padTokenId);
        else o.putNull("pad_token_id");
        o.put("initializer_range", initializerRange);
        if (head.architecture().hasLabels() || !head.labels().equals(HeadSpec.defaultLabels(2))) {
            ObjectNode id2label = o.putObject("id2label"), label2id = o.putObject("label2id");
            for (int i = 0; i < head.numLabels(); i++) {
                id2label.put(Integer.toString(i), head.labels().get(i));
                label2id.put(head.labels().get(i), i);
            }
        }
        if (head.problemType() != null) o.put("problem_type", head.problemType().hfName());
        for (Iterator<Map.Entry<String, JsonNode>> it = extra.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!o.has(e.getKey())) o.set(e.getKey(), e.getValue());
        }
        return o;
    }

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("config.json").toFile(), toJson());
    }

    /** Typed access to config fields with errors that name the file and the field. */
    private record Reader(JsonNode root, String source) {
        boolean has(String f) {
            return root.has(f) && !root.get(f).isNull();
        }

        ModelFormatException error(String field, String what) {
            return new ModelFormatException(source + ": field " + field + " " + what);
        }

        String string(String f, String def) {
            if (!has(f)) return def;
            JsonNode n = root.get(f);
            if (!n.isTextual()) throw error(f, "must be a string, got " + n);
            return n.asText();
        }

        boolean bool(String f, boolean def) {
            if (!has(f)) return def;
            JsonNode n = root.get(f);
            if (!n.isBoolean()) throw error(f, "must be true or false, got " + n);
            return n.asBoolean();
        }

        int integer(String f, int def, boolean required) {
            if (!has(f)) {
                if (required) throw error(f, "is missing");
                return def;
            }
            JsonNode n = root.get(f);
            if (!n.isIntegralNumber()) throw error(f, "must be an integer, got " + n);
            if (!n.canConvertToInt()) throw error(f, "must fit in a 32-bit int (at most " + Integer.MAX_VALUE + "), got " + n);
            return n.asInt();
        }

        double number(String f, double def) {
            if (!has(f)) return def;
            JsonNode n = root.get(f);
            if (!n.isNumber()) throw error(f, "must be a number, got " + n);
            return n.asDouble();
        }

        /** architectures, id2label (else num_labels, else 2 labels) and problem_type, checked as HF checks them. */
        HeadSpec head() {
            Architecture architecture = Architecture.CAUSAL_LM;
            if (has("architectures")) {
                JsonNode a = root.get("architectures");
                if (!a.isArray() || a.isEmpty() || !a.get(0).isTextual())
                    throw error("architectures", "must be a list of class names, got " + a);
                architecture = Architecture.ofHfName(a.get(0).asText());
                if (architecture == null)
                    throw error("architectures", "names " + a.get(0) + "; this project reads " + Architecture.hfNames());
            }
            List<String> labels;
            if (has("id2label")) {
                JsonNode m = root.get("id2label");
                if (!m.isObject() || m.isEmpty()) throw error("id2label", "must be a non-empty object of id -> label, got " + m);
                String[] byId = new String[m.size()];
                for (Map.Entry<String, JsonNode> e : m.properties()) {
                    int id;
                    try {
                        id = Integer.parseInt(e.getKey());
                    } catch (NumberFormatException x) {
                        throw error("id2label", "has key \"" + e.getKey() + "\"; keys are the ids 0.." + (m.size() - 1));
                    }
                    if (id < 0 || id >= byId.length || byId[id] != null)
                        throw error("id2label", "has key " + id + "; keys must be the ids 0.." + (m.size() - 1) + ", each once");
                    if (!e.getValue().isTextual()) throw error("id2label." + id, "must be a string, got " + e.getValue());
                    byId[id] = e.getValue().asText();
                }
                labels = List.of(byId);
                if (has("num_labels") && integer("num_labels", -1, true) != labels.size()) // HF warns and keeps id2label
                    System.err.println(source + ": num_labels " + root.get("num_labels") + " differs from id2label's " + labels.size()
                            + " labels; id2label wins, as in HF");
            } else {
                int n = integer("num_labels", 2, false);
                if (n < 1) throw error("num_labels", "must be at least 1, got " + n);
                labels = HeadSpec.defaultLabels(n);
            }
            for (String f : new String[]{"classifier_dropout", "hidden_dropout"}) {
                double p = number(f, 0);
                if (!(p >= 0 && p < 1)) throw error(f, "must be a dropout probability in [0, 1), got " + root.get(f));
            }
            ProblemType problem = null;
            String p = string("problem_type", null);
            if (p != null) {
                problem = ProblemType.ofHfName(p);
                if (problem == null)
                    throw error("problem_type", "is \"" + p + "\"; HF knows regression, single_label_classification and multi_label_classification");
                if (problem == ProblemType.SINGLE_LABEL && labels.size() < 2)
                    throw error("problem_type", "is single_label_classification, which needs num_labels > 1 (there are " + labels.size() + ")");
            }
            return new HeadSpec(architecture, labels, problem);
        }

        int eosId() {
            if (!has("eos_token_id")) return 3;
            JsonNode n = root.get("eos_token_id");
            if (n.isArray() && !n.isEmpty()) n = n.get(0);
            if (!n.isIntegralNumber()) throw error("eos_token_id", "must be an integer, got " + n);
            return n.asInt();
        }
    }
}
