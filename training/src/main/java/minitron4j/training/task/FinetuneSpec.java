package minitron4j.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.AdamWSettings;
import minitron4j.model.Architecture;
import minitron4j.training.LoopSettings;
import minitron4j.training.LrSchedule;
import minitron4j.training.RunFolder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A fine-tuning run as {@code minitron4j finetune} takes it and its run folder's config.json keeps
 * it (paths absolute), so that {@code --resume} continues exactly this run.
 *
 * @param task  {@code sequence-classification}, {@code question-answering} or {@code token-classification}
 * @param model the checkpoint to start from: a causal LM, a base model or a model of this task (HF's
 *              from_pretrained: the trunk is loaded, a head of another class is initialised)
 * @param data  labeled JSONL of the task ({@link LabeledData})
 * @param val   held-out labeled JSONL, or null for no validation
 */
public record FinetuneSpec(String task, Path model, Path data, Path val, int steps, int batch, int seqLen, double lr,
                           int warmup, double weightDecay, double clip, long seed, int evalInterval, int checkpointInterval,
                           int threads) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public FinetuneSpec {
        Architecture.ofTask(task);
        if (model == null || data == null) throw new IllegalArgumentException("finetune needs --model and --data");
        model = model.toAbsolutePath().normalize();
        data = data.toAbsolutePath().normalize();
        val = val == null ? null : val.toAbsolutePath().normalize();
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be >= 0, got " + warmup);
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        loopSettings(steps, batch, seqLen, clip, evalInterval, checkpointInterval);
        AdamWSettings.of(0.9, 0.999, 1e-8, weightDecay);
    }

    /** This run started from another model with another seed (a comparison's runs). */
    public FinetuneSpec withModelAndSeed(Path otherModel, long otherSeed) {
        return new FinetuneSpec(task, otherModel, data, val, steps, batch, seqLen, lr, warmup, weightDecay, clip, otherSeed, evalInterval,
                checkpointInterval, threads);
    }

    public Architecture architecture() {
        return Architecture.ofTask(task);
    }

    public LoopSettings loopSettings() {
        return loopSettings(steps, batch, seqLen, clip, evalInterval, checkpointInterval);
    }

    private static LoopSettings loopSettings(int steps, int batch, int seqLen, double clip, int evalInterval, int checkpointInterval) {
        return new LoopSettings(steps, batch, seqLen, 1, clip, evalInterval, checkpointInterval);
    }

    /** torch's AdamW defaults (HF Trainer's), the decay applied to all but norms and biases. */
    public AdamWSettings optimizerSettings() {
        return AdamWSettings.of(0.9, 0.999, 1e-8, weightDecay);
    }

    /** Linear warm-up, then a cosine decay to 0. */
    public LrSchedule lrSchedule() {
        return LrSchedule.warmupCosine(lr, 0, warmup, steps);
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("task", task);
        o.put("model", model.toString());
        o.put("data", data.toString());
        if (val != null) o.put("val", val.toString());
        o.put("steps", steps);
        o.put("batch", batch);
        o.put("seq_len", seqLen);
        o.put("lr", lr);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("clip", clip);
        o.put("seed", seed);
        o.put("eval_interval", evalInterval);
        o.put("checkpoint_interval", checkpointInterval);
        o.put("threads", threads);
        return o;
    }

    /** The spec a fine-tuning run folder was started with (its config.json). */
    public static FinetuneSpec saved(RunFolder run) throws IOException {
        return fromJson(run.savedSpec(), run.file(RunFolder.CONFIG));
    }

    private static FinetuneSpec fromJson(JsonNode o, Path source) {
        try {
            return new FinetuneSpec(o.get("task").asText(), Path.of(o.get("model").asText()), Path.of(o.get("data").asText()),
                    o.hasNonNull("val") ? Path.of(o.get("val").asText()) : null, o.get("steps").asInt(), o.get("batch").asInt(),
                    o.get("seq_len").asInt(), o.get("lr").asDouble(), o.get("warmup").asInt(), o.get("weight_decay").asDouble(),
                    o.get("clip").asDouble(), o.get("seed").asLong(), o.get("eval_interval").asInt(),
                    o.get("checkpoint_interval").asInt(), o.get("threads").asInt());
        } catch (NullPointerException e) {
            throw new IllegalArgumentException(source + ": not a finetune run's config (a field is missing)");
        }
    }

    /** The fields in which other differs from this spec. */
    public List<String> differences(FinetuneSpec other) {
        List<String> diff = new ArrayList<>();
        ObjectNode a = toJson(), b = other.toJson();
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
            String n = it.next();
            if (!a.get(n).equals(b.get(n))) diff.add(n);
        }
        return diff;
    }
}
