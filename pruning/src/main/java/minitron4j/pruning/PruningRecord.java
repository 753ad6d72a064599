package minitron4j.pruning;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;

/**
 * pruning.json, written beside a pruned checkpoint (INTERFACES.md): {@code {"source": path,
 * "scores": path or null, "options": {...}, "kept": {"embedding":[...], "heads":[[...] per layer],
 * "neurons":[[...] per layer], "layers":[...]}}}, every index into the source model. heads[i] and
 * neurons[i] belong to pruned layer i, which is source layer layers[i].
 *
 * @param source  the source model folder
 * @param scores  the scores file the plan was made from, or null (random selection)
 * @param target  the requested shape
 * @param options how units were chosen
 * @param plan    what was kept
 */
public record PruningRecord(String source, String scores, PruningTarget target, PruningOptions options, PruningPlan plan) {
    static final String FILE = "pruning.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("source", source);
        o.put("scores", scores);
        ObjectNode opt = o.putObject("options");
        opt.put("hidden_size", target.hiddenSize());
        opt.put("num_attention_heads", target.numAttentionHeads());
        opt.put("intermediate_size", target.intermediateSize());
        opt.put("num_layers", target.numLayers());
        if (target.dropLayers() == null) opt.putNull("drop_layers");
        else ints(opt.putArray("drop_layers"), target.dropLayers());
        opt.put("drop_block", target.dropBlock());
        opt.put("fold_heads", options.foldHeads());
        opt.put("random", options.random());
        opt.put("seed", options.randomSeed());
        opt.put("depth_score", options.depthScore().key());
        ObjectNode kept = o.putObject("kept");
        ints(kept.putArray("embedding"), plan.embedding());
        ArrayNode heads = kept.putArray("heads");
        for (int[] h : plan.heads()) ints(heads.addArray(), h);
        ArrayNode neurons = kept.putArray("neurons");
        for (int[] n : plan.neurons()) ints(neurons.addArray(), n);
        ints(kept.putArray("layers"), plan.layers());
        return o;
    }

    public void write(Path dir) throws IOException {
        JSON.writeValue(dir.resolve(FILE).toFile(), toJson());
    }

    private static void ints(ArrayNode a, int[] v) {
        for (int x : v) a.add(x);
    }
}
