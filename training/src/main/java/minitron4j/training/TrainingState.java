package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a checkpoint's {@code state.json} holds besides weights and optimizer moments: the number
 * of optimizer steps taken and the data position (the sampler's seed and windows drawn), which is
 * all the randomness a step uses.
 */
public record TrainingState(int step, WindowSampler.State sampler) {

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("step", step);
        o.put("data_position", sampler.drawn());
        o.put("rng_seed", sampler.seed());
        o.put("rng", "SplitMix64 of (rng_seed, window index); data_position = windows drawn so far");
        return o;
    }

    public static TrainingState fromJson(JsonNode o, Path source) throws IOException {
        return new TrainingState(field(o, "step", source).intValue(),
                new WindowSampler.State(field(o, "rng_seed", source).longValue(), field(o, "data_position", source).longValue()));
    }

    private static JsonNode field(JsonNode o, String name, Path source) throws IOException {
        JsonNode n = o.get(name);
        if (n == null || !n.isIntegralNumber()) throw new IOException(source + ": field " + name + " is missing or not an integer");
        return n;
    }
}
