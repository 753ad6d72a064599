package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Minitron study runs: the data, the teacher (trained first, or a checkpoint), the student
 * shape, the arms compared at equal student size and equal training tokens, the seeds and the
 * evaluation. Read from YAML or JSON; {@link #demo()} and {@link #full()} are the built-in studies.
 *
 * @param corpus        text files or folders; "sotu" = the State of the Union corpus (npm, cached)
 * @param tokenizer     bytes | bpe:VOCAB | a tokenizer.json path
 * @param teacherModel  config.json fields of the teacher trained from scratch (null when teacherInit is set)
 * @param teacherInit   an existing HF checkpoint to use as the teacher instead
 * @param studentHidden the width-pruning target's hidden_size (with studentHeads, studentFfn: the spec's student object)
 * @param arms          any of width_kd, depth_kd, random_kd, width_ce, scratch
 */
public record StudySpec(String name, List<String> corpus, String tokenizer, double valFraction, long dataSeed,
                        ObjectNode teacherModel, Path teacherInit, int teacherSteps, double teacherLr,
                        int batch, int seqLen, int studentHidden, int studentHeads, int studentFfn,
                        int calibrationSamples, int armSteps, double armLr, double tau, List<String> arms,
                        List<Long> seeds, List<String> tasks, int taskItems, int evalBatches) {

    public static final List<String> ALL_ARMS = List.of("width_kd", "depth_kd", "random_kd", "width_ce", "scratch");
    static final ObjectMapper JSON = new ObjectMapper();

    public StudySpec {
        corpus = List.copyOf(corpus);
        arms = List.copyOf(arms);
        seeds = List.copyOf(seeds);
        tasks = List.copyOf(tasks);
        for (String a : arms)
            if (!ALL_ARMS.contains(a)) throw new IllegalArgumentException("study: unknown arm " + a + " (known: " + ALL_ARMS + ")");
        if (seeds.isEmpty()) throw new IllegalArgumentException("study: seeds must name at least one seed");
        if ((teacherModel == null) == (teacherInit == null))
            throw new IllegalArgumentException("study: give exactly one of teacher.model and teacher.init");
        if (armSteps < 1 || teacherSteps < 0 || batch < 1 || seqLen < 2)
            throw new IllegalArgumentException("study: steps, batch and seq_len must be positive");
    }

    /**
     * The README's main job, sized for about 15 minutes on 2 cores: a 4-layer teacher of a few
     * million parameters on the State of the Union addresses (BPE 2048), pruned to about half its
     * non-embedding size and retrained for the same tokens in each arm.
     */
    public static StudySpec demo() {
        return new StudySpec("minitron-demo", List.of("sotu"), "bpe:2048", 0.05, 0, teacher(256, 4, 8, 4, 32, 1024, 256),
                null, 300, 2e-3, 16, 128, 192, 4, 512, 64, 100, 1e-3, 1.0, ALL_ARMS, List.of(0L),
                List.of("quiz", "lastword", "continuation"), 60, 16);
    }

    /** The larger version of the same study: a wider, deeper teacher, longer training, three seeds. */
    public static StudySpec full() {
        return new StudySpec("minitron-full", List.of("sotu"), "bpe:4096", 0.05, 0, teacher(384, 6, 6, 2, 64, 1536, 256),
                null, 2000, 1e-3, 16, 256, 256, 4, 768, 256, 600, 5e-4, 1.0, ALL_ARMS, List.of(0L, 1L, 2L),
                List.of("quiz", "lastword", "continuation"), 200, 64);
    }

    static ObjectNode teacher(int hidden, int layers, int heads, int kvHeads, int headDim, int ffn, int maxPos) {
        ObjectNode m = JSON.createObjectNode();
        m.put("hidden_size", hidden);
        m.put("num_hidden_layers", layers);
        m.put("num_attention_heads", heads);
        m.put("num_key_value_heads", kvHeads);
        m.put("head_dim", headDim);
        m.put("intermediate_size", ffn);
        m.put("max_position_embeddings", maxPos);
        m.put("tie_word_embeddings", false);
        return m;
    }

    /** Reads a spec file; fields left out take the demo's values. */
    public static StudySpec load(Path file) throws IOException {
        String n = file.getFileName().toString();
        ObjectMapper mapper = n.endsWith(".yaml") || n.endsWith(".yml") ? new ObjectMapper(new YAMLFactory()) : JSON;
        JsonNode root = mapper.readTree(file.toFile());
        try {
            return fromJson(root, demo());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static StudySpec fromJson(JsonNode r, StudySpec d) {
        if (r == null || !r.isObject()) throw new IllegalArgumentException("study spec must be an object");
        List<String> known = List.of("name", "corpus", "tokenizer", "val_fraction", "data_seed", "teacher", "batch",
                "seq_len", "student", "calibration_samples", "arm_steps", "arm_lr", "tau", "arms", "seeds", "tasks",
                "task_items", "eval_batches");
        r.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) throw new IllegalArgumentException("unknown field " + f + " (known: " + known + ")");
        });
        JsonNode t = r.path("teacher"), s = r.path("student");
        ObjectNode teacherModel = t.has("model") ? (ObjectNode) t.get("model") : t.has("init") ? null : d.teacherModel;
        Path teacherInit = t.has("init") ? Path.of(t.get("init").asText()) : null;
        return new StudySpec(r.path("name").asText(d.name), strings(r.get("corpus"), d.corpus),
                r.path("tokenizer").asText(d.tokenizer), r.path("val_fraction").asDouble(d.valFraction),
                r.path("data_seed").asLong(d.dataSeed), teacherModel, teacherInit,
                t.path("steps").asInt(d.teacherSteps), t.path("lr").asDouble(d.teacherLr),
                r.path("batch").asInt(d.batch), r.path("seq_len").asInt(d.seqLen),
                s.path("hidden_size").asInt(d.studentHidden), s.path("num_attention_heads").asInt(d.studentHeads),
                s.path("intermediate_size").asInt(d.studentFfn), r.path("calibration_samples").asInt(d.calibrationSamples),
                r.path("arm_steps").asInt(d.armSteps), r.path("arm_lr").asDouble(d.armLr), r.path("tau").asDouble(d.tau),
                strings(r.get("arms"), d.arms), longs(r.get("seeds"), d.seeds), strings(r.get("tasks"), d.tasks),
                r.path("task_items").asInt(d.taskItems), r.path("eval_batches").asInt(d.evalBatches));
    }

    private static List<String> strings(JsonNode n, List<String> def) {
        if (n == null || n.isNull()) return def;
        List<String> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static List<Long> longs(JsonNode n, List<Long> def) {
        if (n == null || n.isNull()) return def;
        List<Long> out = new ArrayList<>();
        n.forEach(x -> out.add(x.asLong()));
        return out;
    }

    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }

    /** Student training tokens per arm (equal for every arm by construction). */
    public long armTokens() {
        return (long) armSteps * batch * seqLen;
    }
}
