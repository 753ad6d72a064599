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
 * shape, the arms compared at equal student size and equal training tokens, the scratch budgets of
 * the tokens-to-match curve, the seeds, the evaluation and, optionally, teacher correction. Read from
 * YAML or JSON; {@link #demo()} and {@link #full()} are the built-in studies.
 *
 * @param corpus         text files or folders; "sotu" = the State of the Union corpus (npm, cached),
 *                       "sotu:FROM-TO" its addresses of those years
 * @param tokenizer      bytes | bpe:VOCAB | a tokenizer.json path
 * @param teacherModel   config.json fields of the teacher trained from scratch (null when teacherInit is set)
 * @param teacherInit    an existing HF checkpoint to use as the teacher instead
 * @param studentHidden  the width-pruning target's hidden_size (with studentHeads, studentFfn: the spec's student object)
 * @param arms           any of {@link #ALL_ARMS}; the correction arms need {@code correction}
 * @param scratchBudgets the scratch student's training budgets as multiples of one arm's tokens, each
 *                       trained with its own schedule (the tokens-to-match curve); empty for none
 * @param correction     teacher correction (P2): fine-tune the teacher on another corpus first; or null
 */
public record StudySpec(String name, List<String> corpus, String tokenizer, double valFraction, long dataSeed,
                        ObjectNode teacherModel, Path teacherInit, int teacherSteps, double teacherLr,
                        int batch, int seqLen, int studentHidden, int studentHeads, int studentFfn,
                        int calibrationSamples, int armSteps, double armLr, double tau, List<String> arms,
                        List<Double> scratchBudgets, List<Long> seeds, List<String> tasks, int taskItems,
                        int evalBatches, Correction correction) {

    /** The arms at the student's size, trained on the study's corpus. */
    public static final List<String> MAIN_ARMS = List.of("width_kd", "depth_kd", "random_kd", "width_ce",
            "width_kd_intermediate", "scratch");
    /** The arms of teacher correction, distilled on the correction corpus. */
    public static final List<String> CORRECTION_ARMS = List.of("corrected_kd", "uncorrected_kd");
    public static final List<String> ALL_ARMS = concat(MAIN_ARMS, CORRECTION_ARMS);
    /** teacher_correction.lr when a spec leaves it out: a quarter of the demo's arm lr, for a brief fine-tune. */
    public static final double DEFAULT_CORRECTION_LR = 2.5e-4;
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Teacher correction as "LLM Pruning and Distillation in Practice" does it: the teacher is
     * fine-tuned for {@code steps} on the distillation corpus (one it was not trained on) before it
     * is pruned and distils; the arms compare that with pruning and distilling from the teacher as
     * it is, both on the correction corpus.
     */
    public record Correction(List<String> corpus, int steps, double lr) {
        public Correction {
            corpus = List.copyOf(corpus);
            if (corpus.isEmpty()) throw new IllegalArgumentException("study: teacher_correction.corpus names no text");
            if (steps < 1) throw new IllegalArgumentException("study: teacher_correction.steps must be positive, got " + steps);
            if (!(lr > 0 && Double.isFinite(lr)))
                throw new IllegalArgumentException("study: teacher_correction.lr must be a positive number, got " + lr);
        }
    }

    public StudySpec {
        corpus = List.copyOf(corpus);
        arms = List.copyOf(arms);
        scratchBudgets = List.copyOf(scratchBudgets);
        seeds = List.copyOf(seeds);
        tasks = List.copyOf(tasks);
        for (String a : arms) {
            if (!ALL_ARMS.contains(a)) throw new IllegalArgumentException("study: unknown arm " + a + " (known: " + ALL_ARMS + ")");
            if (CORRECTION_ARMS.contains(a) && correction == null)
                throw new IllegalArgumentException("study: arm " + a + " needs teacher_correction (its corpus, steps and lr)");
        }
        for (int i = 0; i < scratchBudgets.size(); i++) {
            double b = scratchBudgets.get(i);
            if (!(b > 0 && Double.isFinite(b)) || (i > 0 && b <= scratchBudgets.get(i - 1)))
                throw new IllegalArgumentException("study: scratch_budgets must be positive and increasing, got " + scratchBudgets);
        }
        if (seeds.isEmpty()) throw new IllegalArgumentException("study: seeds must name at least one seed");
        if ((teacherModel == null) == (teacherInit == null))
            throw new IllegalArgumentException("study: give exactly one of teacher.model and teacher.init");
        if (armSteps < 1 || teacherSteps < 0 || batch < 1 || seqLen < 2)
            throw new IllegalArgumentException("study: steps, batch and seq_len must be positive");
    }

    /**
     * The README's main job, sized for about 15 minutes on 2 cores with a fresh cache: a 4-layer
     * teacher of 4 M parameters trained on 10x the tokens of one arm of the State of the Union
     * addresses (BPE 2048), pruned to half its size and retrained for the same tokens in each arm;
     * the scratch student at 1, 4 and 16 times those tokens.
     */
    public static StudySpec demo() {
        return new StudySpec("minitron-demo", List.of("sotu"), "bpe:2048", 0.05, 0, teacher(256, 4, 8, 4, 32, 1024, 256),
                null, 600, 2e-3, 16, 128, 192, 4, 512, 64, 60, 1e-3, 1.0, MAIN_ARMS, List.of(1.0, 4.0, 16.0),
                List.of(0L), List.of("quiz", "lastword", "continuation"), 60, 32, null);
    }

    /**
     * The larger version (about an hour on 2 cores): the demo's shapes with three seeds, the scratch
     * curve at 1, 2, 4, 8 and 16 times one arm's tokens for every seed, 200 items per task, and
     * teacher correction: the teacher learns the addresses up to 1932 and is corrected on those
     * from 1933 on (a shift of era and subject), where the correction arms distil.
     */
    public static StudySpec full() {
        return new StudySpec("minitron-full", List.of("sotu:1790-1932"), "bpe:2048", 0.05, 0,
                teacher(256, 4, 8, 4, 32, 1024, 256), null, 600, 2e-3, 16, 128, 192, 4, 512, 64, 60, 1e-3, 1.0,
                ALL_ARMS, List.of(1.0, 2.0, 4.0, 8.0, 16.0), List.of(0L, 1L, 2L), List.of("quiz", "lastword", "continuation"),
                200, 32, new Correction(List.of("sotu:1933-2021"), 60, 5e-4));
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
                "seq_len", "student", "calibration_samples", "arm_steps", "arm_lr", "tau", "arms", "scratch_budgets",
                "seeds", "tasks", "task_items", "eval_batches", "teacher_correction");
        known(r, null, known);
        JsonNode t = r.path("teacher"), s = r.path("student");
        ObjectNode teacherModel = t.has("model") ? (ObjectNode) t.get("model") : t.has("init") ? null : d.teacherModel;
        Path teacherInit = t.has("init") ? Path.of(t.get("init").asText()) : null;
        if (t.isObject()) known(t, "teacher", List.of("model", "init", "steps", "lr"));
        if (s.isObject()) known(s, "student", List.of("hidden_size", "num_attention_heads", "intermediate_size"));
        // Absent: the default's; null: none; an object: its corpus and steps, lr by default DEFAULT_CORRECTION_LR.
        JsonNode c = r.get("teacher_correction");
        Correction correction;
        if (c == null) correction = d.correction;
        else if (c.isNull()) correction = null;
        else {
            if (!c.isObject()) throw new IllegalArgumentException("teacher_correction must be an object {corpus, steps, lr} or null");
            known(c, "teacher_correction", List.of("corpus", "steps", "lr"));
            correction = new Correction(strings(c.get("corpus"), "teacher_correction.corpus", List.of()), c.path("steps").asInt(0),
                    c.path("lr").asDouble(DEFAULT_CORRECTION_LR));
        }
        return new StudySpec(r.path("name").asText(d.name), strings(r.get("corpus"), "corpus", d.corpus),
                r.path("tokenizer").asText(d.tokenizer), r.path("val_fraction").asDouble(d.valFraction),
                r.path("data_seed").asLong(d.dataSeed), teacherModel, teacherInit,
                t.path("steps").asInt(d.teacherSteps), t.path("lr").asDouble(d.teacherLr),
                r.path("batch").asInt(d.batch), r.path("seq_len").asInt(d.seqLen),
                s.path("hidden_size").asInt(d.studentHidden), s.path("num_attention_heads").asInt(d.studentHeads),
                s.path("intermediate_size").asInt(d.studentFfn), r.path("calibration_samples").asInt(d.calibrationSamples),
                r.path("arm_steps").asInt(d.armSteps), r.path("arm_lr").asDouble(d.armLr), r.path("tau").asDouble(d.tau),
                strings(r.get("arms"), "arms", d.arms), doubles(r.get("scratch_budgets"), "scratch_budgets", d.scratchBudgets),
                longs(r.get("seeds"), "seeds", d.seeds), strings(r.get("tasks"), "tasks", d.tasks),
                r.path("task_items").asInt(d.taskItems), r.path("eval_batches").asInt(d.evalBatches), correction);
    }

    private static void known(JsonNode object, String where, List<String> fields) {
        object.fieldNames().forEachRemaining(f -> {
            if (!fields.contains(f))
                throw new IllegalArgumentException("unknown field " + (where == null ? "" : where + ".") + f + " (known: " + fields + ")");
        });
    }

    /** A list field's elements, or def when it is absent or null; a value that is not a list is refused. */
    private static <T> List<T> list(JsonNode n, String field, List<T> def, java.util.function.Function<JsonNode, T> element) {
        if (n == null || n.isNull()) return def;
        if (!n.isArray()) throw new IllegalArgumentException(field + " must be a list, got " + n);
        List<T> out = new ArrayList<>();
        n.forEach(x -> out.add(element.apply(x)));
        return out;
    }

    private static List<String> strings(JsonNode n, String field, List<String> def) {
        return list(n, field, def, JsonNode::asText);
    }

    private static List<Long> longs(JsonNode n, String field, List<Long> def) {
        return list(n, field, def, JsonNode::asLong);
    }

    private static List<Double> doubles(JsonNode n, String field, List<Double> def) {
        return list(n, field, def, JsonNode::asDouble);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }

    /** Student training tokens per arm (equal for every arm by construction). */
    public long armTokens() {
        return (long) armSteps * batch * seqLen;
    }

    /** The teacher's training tokens (0 for a given checkpoint, whose history the study does not know). */
    public long teacherTokens() {
        return teacherInit != null ? 0 : (long) teacherSteps * batch * seqLen;
    }

    /** Training steps of the scratch student at budget multiple (at least one). */
    public int scratchSteps(double multiple) {
        return (int) Math.max(1, Math.round(armSteps * multiple));
    }
}
