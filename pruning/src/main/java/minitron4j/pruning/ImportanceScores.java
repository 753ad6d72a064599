package minitron4j.pruning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The importance of every prunable unit of one model, as scores.json holds it (INTERFACES.md):
 * {@code {"embedding":[H], "heads":[[nh] per layer], "neurons":[[F] per layer], "layers":[L],
 * "layers_loss":[L] (when asked), "options":{"batch_agg","seq_agg","neuron","head","samples",
 * "seq_len","seed","model"}}}. Higher means more important for every axis.
 *
 * @param layers     Block Importance per layer: 1 - cos(layer input, layer output), mean over positions
 * @param layersLoss calibration CE increase when that one layer is skipped, or null when not computed
 * @param samples    calibration samples (rows with at least one real token)
 * @param seqLen     calibration window length (the longest batch)
 */
public record ImportanceScores(double[] embedding, double[][] heads, double[][] neurons, double[] layers,
                               double[] layersLoss, ImportanceOptions options, int samples, int seqLen) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ImportanceScores {
        if (heads.length != layers.length || neurons.length != layers.length
                || (layersLoss != null && layersLoss.length != layers.length))
            throw new IllegalArgumentException("heads (" + heads.length + "), neurons (" + neurons.length
                    + ") and layers_loss (" + (layersLoss == null ? "absent" : layersLoss.length)
                    + ") must have one entry per layer (" + layers.length + ")");
    }

    public ImportanceScores withLayersLoss(double[] loss) {
        return new ImportanceScores(embedding, heads, neurons, layers, loss, options.withDepthLoss(loss != null),
                samples, seqLen);
    }

    /** Throws unless every axis has the length the config implies; source names the scores for the message. */
    public void checkMatches(NemotronConfig c, String source) {
        int l = c.numHiddenLayers();
        expect(source, "embedding", c.hiddenSize(), embedding.length, "hidden_size");
        expect(source, "layers", l, layers.length, "num_hidden_layers");
        for (int i = 0; i < l; i++) {
            expect(source, "heads[" + i + "]", c.numAttentionHeads(), heads[i].length, "num_attention_heads");
            expect(source, "neurons[" + i + "]", c.intermediateSize(), neurons[i].length, "intermediate_size");
        }
    }

    private static void expect(String source, String key, int expected, int found, String field) {
        if (expected != found)
            throw new IllegalArgumentException(source + ": " + key + " has " + found + " entries but the model's "
                    + field + " is " + expected + " (scores from another model?)");
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        array(o.putArray("embedding"), embedding);
        ArrayNode h = o.putArray("heads");
        for (double[] row : heads) array(h.addArray(), row);
        ArrayNode n = o.putArray("neurons");
        for (double[] row : neurons) array(n.addArray(), row);
        array(o.putArray("layers"), layers);
        if (layersLoss != null) array(o.putArray("layers_loss"), layersLoss);
        ObjectNode opt = o.putObject("options");
        opt.put("batch_agg", options.batchAgg().key());
        opt.put("seq_agg", options.seqAgg().key());
        opt.put("neuron", options.neuron().key());
        opt.put("head", options.head().key());
        opt.put("samples", samples);
        opt.put("seq_len", seqLen);
        opt.put("seed", options.seed());
        opt.put("model", options.model());
        return o;
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        JSON.writeValue(file.toFile(), toJson());
    }

    public static ImportanceScores read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a readable scores JSON file: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    public static ImportanceScores parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + ": expected a JSON object");
        double[] layers = vector(root, "layers", source);
        JsonNode opt = root.path("options");
        if (!opt.isObject()) throw new IllegalArgumentException(source + ": \"options\" is missing or not an object");
        double[] loss = root.hasNonNull("layers_loss") ? vector(root, "layers_loss", source) : null;
        ImportanceOptions options = new ImportanceOptions(
                Aggregation.parse(text(opt, "seq_agg", source)), Aggregation.parse(text(opt, "batch_agg", source)),
                NeuronActivation.parse(text(opt, "neuron", source)), HeadStatistic.parse(text(opt, "head", source)),
                loss != null, opt.hasNonNull("seed") ? opt.get("seed").asLong() : null,
                opt.hasNonNull("model") ? opt.get("model").asText() : null);
        return new ImportanceScores(vector(root, "embedding", source), matrix(root, "heads", source),
                matrix(root, "neurons", source), layers, loss, options,
                opt.path("samples").asInt(0), opt.path("seq_len").asInt(0));
    }

    private static String text(JsonNode o, String key, String source) {
        JsonNode n = o.get(key);
        if (n == null || !n.isTextual())
            throw new IllegalArgumentException(source + ": options." + key + " must be a string, found " + n);
        return n.asText();
    }

    private static double[] vector(JsonNode root, String key, String source) {
        return numbers(root.get(key), source, key);
    }

    private static double[] numbers(JsonNode n, String source, String key) {
        if (n == null || !n.isArray()) throw new IllegalArgumentException(source + ": \"" + key + "\" must be an array of numbers, found " + n);
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode x = n.get(i);
            if (!x.isNumber()) throw new IllegalArgumentException(source + ": " + key + "[" + i + "] must be a number, found " + x);
            v[i] = x.asDouble();
        }
        return v;
    }

    private static double[][] matrix(JsonNode root, String key, String source) {
        JsonNode n = root.get(key);
        if (n == null || !n.isArray()) throw new IllegalArgumentException(source + ": \"" + key + "\" must be an array of arrays (one per layer), found " + n);
        double[][] m = new double[n.size()][];
        for (int i = 0; i < m.length; i++) m[i] = numbers(n.get(i), source, key + "[" + i + "]");
        return m;
    }

    private static void array(ArrayNode a, double[] v) {
        for (double x : v) a.add(x);
    }
}
