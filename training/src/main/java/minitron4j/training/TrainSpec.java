package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import minitron4j.model.AdamWSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * What {@code minitron4j train --config SPEC} reads (JSON, or YAML for .yaml/.yml). Exactly one of
 * {@code model} (HF config.json fields of a model trained from scratch; {@code vocab_size} and
 * {@code eos_token_id} default to the data's tokenizer) and {@code init} (an HF checkpoint folder
 * to continue from). Relative paths are resolved against the working directory when read; the
 * run folder's {@code config.json} holds the spec as run, defaults filled in and paths absolute.
 *
 * @param steps              optimizer steps
 * @param batch              windows per micro-batch
 * @param seqLen             tokens per window
 * @param gradAccum          micro-batches per optimizer step
 * @param lr                 peak learning rate
 * @param minLr              floor of the cosine decay (default lr / 10)
 * @param warmup             linear warm-up steps
 * @param schedule           "cosine" (warm-up then cosine to min_lr) or "constant"
 * @param clip               max global gradient norm (0 = no clipping)
 * @param seed               initialisation and data order
 * @param evalInterval       validate every so many steps (0 = never)
 * @param evalBatches        validation batches (of [batch, seq_len]) per evaluation, windows spread evenly over val.bin
 * @param checkpointInterval checkpoint every so many steps (0 = at the end only)
 * @param threads            compute threads (default: all cores); resume is exact only with the same count
 */
public record TrainSpec(ObjectNode model, Path init, Path data, int steps, int batch, int seqLen, int gradAccum,
                        double lr, double minLr, int warmup, String schedule, double weightDecay, double beta1,
                        double beta2, double eps, double clip, long seed, int evalInterval, int evalBatches,
                        int checkpointInterval, int threads, Path out) {

    private static final Set<String> FIELDS = Set.of("model", "init", "data", "steps", "batch", "seq_len", "grad_accum",
            "lr", "min_lr", "warmup", "schedule", "weight_decay", "beta1", "beta2", "eps", "clip", "seed",
            "eval_interval", "eval_batches", "checkpoint_interval", "threads", "out");

    public TrainSpec {
        if ((model == null) == (init == null)) throw new IllegalArgumentException("spec: give exactly one of model and init");
        if (data == null) throw new IllegalArgumentException("spec: field data (a data folder) is missing");
        if (!schedule.equals("cosine") && !schedule.equals("constant"))
            throw new IllegalArgumentException("spec: field schedule is \"" + schedule + "\", expected cosine or constant");
        if (evalBatches < 1) throw new IllegalArgumentException("spec: field eval_batches must be >= 1, got " + evalBatches);
        if (threads < 1) throw new IllegalArgumentException("spec: field threads must be >= 1, got " + threads);
        if (!(lr > 0)) throw new IllegalArgumentException("spec: field lr must be > 0, got " + lr);
        if (!(minLr >= 0 && minLr <= lr)) throw new IllegalArgumentException("spec: field min_lr must lie in [0, lr], got " + minLr);
        if (warmup < 0) throw new IllegalArgumentException("spec: field warmup must be >= 0, got " + warmup);
        loopSettings(steps, batch, seqLen, gradAccum, clip, evalInterval, checkpointInterval);
        AdamWSettings.of(beta1, beta2, eps, weightDecay);
        model = model == null ? null : model.deepCopy();
    }

    /** Reads a spec file: YAML for .yaml/.yml, JSON otherwise. */
    public static TrainSpec load(Path file) throws IOException {
        String name = file.getFileName().toString();
        ObjectMapper mapper = name.endsWith(".yaml") || name.endsWith(".yml") ? new ObjectMapper(new YAMLFactory()) : RunFolder.JSON;
        JsonNode root;
        try {
            root = mapper.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": cannot parse: " + parseError(e), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** A parser's complaint as a line for the user: where, and what (not which Jackson switch would allow it). */
    private static String parseError(IOException e) {
        if (!(e instanceof com.fasterxml.jackson.core.JsonProcessingException j)) return e.getMessage();
        String what = j.getOriginalMessage();
        if (what.contains("Non-standard token")) what = what.replaceAll("(?s):? ?enable .*", "") + ": not a number in JSON; give a finite value";
        var at = j.getLocation();
        return (at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ") + what.strip();
    }

    /** Builds a spec from a parsed JSON/YAML tree, filling defaults; unknown fields are an error. */
    public static TrainSpec fromJson(JsonNode root) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("spec must be an object");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw new IllegalArgumentException("spec: unknown field " + f + " (known: " + new java.util.TreeSet<>(FIELDS) + ")");
        }
        JsonNode model = root.get("model");
        if (model != null && !model.isNull() && !model.isObject())
            throw new IllegalArgumentException("spec: field model must be an object of config.json fields");
        int steps = integer(root, "steps", null);
        double lr = number(root, "lr", 3e-4);
        int evalInterval = integer(root, "eval_interval", Math.max(1, steps / 20));
        return new TrainSpec(model == null || model.isNull() ? null : (ObjectNode) model,
                path(root, "init"), path(root, "data"), steps,
                integer(root, "batch", 8), integer(root, "seq_len", 256), integer(root, "grad_accum", 1),
                lr, number(root, "min_lr", lr / 10), integer(root, "warmup", 0), text(root, "schedule", "cosine"),
                number(root, "weight_decay", 0.1), number(root, "beta1", 0.9), number(root, "beta2", 0.95),
                number(root, "eps", 1e-8), number(root, "clip", 1.0), longInteger(root, "seed", 0),
                evalInterval, integer(root, "eval_batches", 16),
                integer(root, "checkpoint_interval", Math.max(1, steps / 10)),
                integer(root, "threads", Runtime.getRuntime().availableProcessors()), path(root, "out"));
    }

    /** The spec as run: every field, paths absolute. */
    public ObjectNode toJson() {
        ObjectNode o = RunFolder.JSON.createObjectNode();
        if (model != null) o.set("model", model.deepCopy());
        if (init != null) o.put("init", init.toString());
        o.put("data", data.toString());
        o.put("steps", steps);
        o.put("batch", batch);
        o.put("seq_len", seqLen);
        o.put("grad_accum", gradAccum);
        o.put("lr", lr);
        o.put("min_lr", minLr);
        o.put("warmup", warmup);
        o.put("schedule", schedule);
        o.put("weight_decay", weightDecay);
        o.put("beta1", beta1);
        o.put("beta2", beta2);
        o.put("eps", eps);
        o.put("clip", clip);
        o.put("seed", seed);
        o.put("eval_interval", evalInterval);
        o.put("eval_batches", evalBatches);
        o.put("checkpoint_interval", checkpointInterval);
        o.put("threads", threads);
        if (out != null) o.put("out", out.toString());
        return o;
    }

    /** The same spec with another thread count (the command line's --threads for a new run). */
    public TrainSpec withThreads(int n) {
        return new TrainSpec(model, init, data, steps, batch, seqLen, gradAccum, lr, minLr, warmup, schedule, weightDecay,
                beta1, beta2, eps, clip, seed, evalInterval, evalBatches, checkpointInterval, n, out);
    }

    /** Names of the fields (besides out) in which other differs from this spec. */
    public List<String> differences(TrainSpec other) {
        ObjectNode a = toJson(), b = other.toJson();
        a.remove("out");
        b.remove("out");
        List<String> diff = new ArrayList<>();
        Set<String> names = new java.util.TreeSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        for (String n : names) if (!java.util.Objects.equals(a.get(n), b.get(n))) diff.add(n);
        return diff;
    }

    public LoopSettings loopSettings() {
        return loopSettings(steps, batch, seqLen, gradAccum, clip, evalInterval, checkpointInterval);
    }

    private static LoopSettings loopSettings(int steps, int batch, int seqLen, int gradAccum, double clip,
                                             int evalInterval, int checkpointInterval) {
        try {
            return new LoopSettings(steps, batch, seqLen, gradAccum, clip, evalInterval, checkpointInterval);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("spec: field " + e.getMessage(), e);
        }
    }

    public AdamWSettings optimizerSettings() {
        return AdamWSettings.of(beta1, beta2, eps, weightDecay);
    }

    public LrSchedule lrSchedule() {
        return schedule.equals("constant") ? LrSchedule.constant(lr) : LrSchedule.warmupCosine(lr, minLr, warmup, steps);
    }

    private static JsonNode present(JsonNode root, String f) {
        JsonNode n = root.get(f);
        return n == null || n.isNull() ? null : n;
    }

    private static int integer(JsonNode root, String f, Integer def) {
        JsonNode n = present(root, f);
        if (n == null) {
            if (def == null) throw new IllegalArgumentException("spec: field " + f + " is missing");
            return def;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new IllegalArgumentException("spec: field " + f + " must be an integer, got " + n);
        return n.intValue();
    }

    private static long longInteger(JsonNode root, String f, long def) {
        JsonNode n = present(root, f);
        if (n == null) return def;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw new IllegalArgumentException("spec: field " + f + " must be an integer, got " + n);
        return n.longValue();
    }

    private static double number(JsonNode root, String f, double def) {
        JsonNode n = present(root, f);
        if (n == null) return def;
        if (!n.isNumber()) throw new IllegalArgumentException("spec: field " + f + " must be a number, got " + n);
        return n.doubleValue();
    }

    private static String text(JsonNode root, String f, String def) {
        JsonNode n = present(root, f);
        if (n == null) return def;
        if (!n.isTextual()) throw new IllegalArgumentException("spec: field " + f + " must be a string, got " + n);
        return n.asText();
    }

    private static Path path(JsonNode root, String f) {
        String s = text(root, f, null);
        return s == null ? null : Path.of(s).toAbsolutePath().normalize();
    }
}
