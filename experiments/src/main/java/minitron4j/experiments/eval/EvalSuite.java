package minitron4j.experiments.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The evaluation of one model as the {@code eval} command and the study report run it: tasks are
 * prepared once ({@link #prepare}: built-in ones built or read from the cache, JSONL files read)
 * and then {@link #run} on every model, so all models of a study answer the same items.
 */
public final class EvalSuite {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Validation windows are the model's max positions, capped here (INTERFACES.md, {@code eval}). */
    private static final int MAX_VALIDATION_SEQ = 1024;

    /**
     * What to evaluate.
     *
     * @param tasks        built-in names ({@link BuiltinTasks#NAMES}) and JSONL files (multiple choice in
     *                     any schema {@link MultipleChoiceTask} reads, or last-word files, told apart by their first row)
     * @param items        items per built-in task
     * @param seed         seed of the built-in tasks
     * @param cacheDir     where built-in tasks are kept
     * @param valData      a data folder whose val.bin gives validation loss and perplexity, or null
     * @param batchRows    sequences per forward pass when scoring
     * @param speed        how to measure speed, or null for no measurement
     * @param prompts      prompts for greedy samples (none: no samples)
     * @param sampleTokens new tokens per sample
     */
    public record Options(List<String> tasks, int items, long seed, Path cacheDir, Path valData, int batchRows,
                          SpeedProbe.Settings speed, List<String> prompts, int sampleTokens) {
        public Options {
            tasks = List.copyOf(tasks);
            prompts = List.copyOf(prompts);
            if (items < 1) throw new IllegalArgumentException("--items must be >= 1, got " + items);
            if (batchRows < 1) throw new IllegalArgumentException("batch rows must be >= 1, got " + batchRows);
        }

        /**
         * The built-in tasks whose data this machine has (quiz only with bsdgames installed), 200 items,
         * seed 0, the default cache, 16 rows per batch, no validation data, no speed probe, the default
         * prompts with 32 new tokens each.
         */
        public static Options defaults() {
            List<String> tasks = BuiltinTasks.quizAvailable() ? BuiltinTasks.NAMES
                    : List.of(BuiltinTasks.LAST_WORD, BuiltinTasks.CONTINUATION);
            return new Options(tasks, BuiltinTasks.DEFAULT_ITEMS, 0, BuiltinTasks.defaultCacheDir(), null, 16, null,
                    PromptSamples.DEFAULT_PROMPTS, 32);
        }
    }

    /** Everything measured on one model; parts not asked for are empty or null. */
    public record Report(List<MultipleChoiceScorer.Result> multipleChoice, List<LastWordScorer.Result> lastWord,
                         Evaluator.Result validation, SpeedProbe.Result speed, List<PromptSamples.Sample> samples) {
    }

    private final Options options;
    private final List<MultipleChoiceTask> multipleChoiceTasks;
    private final List<LastWordTask> lastWordTasks;

    private EvalSuite(Options options, List<MultipleChoiceTask> mc, List<LastWordTask> lw) {
        this.options = options;
        this.multipleChoiceTasks = List.copyOf(mc);
        this.lastWordTasks = List.copyOf(lw);
    }

    /** Builds or reads every task of options; fails naming what is missing (e.g. the quiz's package). */
    public static EvalSuite prepare(Options options) throws IOException {
        List<MultipleChoiceTask> mc = new ArrayList<>();
        List<LastWordTask> lw = new ArrayList<>();
        Path book = null;
        for (String task : options.tasks()) {
            switch (task) {
                case BuiltinTasks.QUIZ -> mc.add(BuiltinTasks.quiz(BuiltinTasks.QUIZ_DIR, options.cacheDir(), options.items(), options.seed()));
                case BuiltinTasks.LAST_WORD, BuiltinTasks.CONTINUATION -> {
                    if (book == null) book = BuiltinTasks.bookDir();
                    if (task.equals(BuiltinTasks.LAST_WORD)) lw.add(BuiltinTasks.lastWord(book, options.cacheDir(), options.items(), options.seed()));
                    else mc.add(BuiltinTasks.continuation(book, options.cacheDir(), options.items(), options.seed()));
                }
                default -> {
                    Path file = Path.of(task);
                    if (!Files.isRegularFile(file))
                        throw new IOException("task \"" + task + "\" is neither a built-in task " + BuiltinTasks.NAMES + " nor a JSONL file");
                    if (isLastWordFile(file)) lw.add(LastWordTask.loadJsonl(file));
                    else mc.add(MultipleChoiceTask.loadJsonl(file));
                }
            }
        }
        return new EvalSuite(options, mc, lw);
    }

    /** A file whose first row has "word" or LAMBADA's "text" holds last-word items. */
    private static boolean isLastWordFile(Path file) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) continue;
                try {
                    JsonNode row = JSON.readTree(line);
                    return row.has("word") || (row.has("text") && !row.has("choices"));
                } catch (IOException e) {
                    return false; // the multiple-choice reader reports the bad line with its number
                }
            }
        }
        return false;
    }

    public List<MultipleChoiceTask> multipleChoiceTasks() {
        return multipleChoiceTasks;
    }

    public List<LastWordTask> lastWordTasks() {
        return lastWordTasks;
    }

    /** Scores every task on the model a session holds (any backend's), then validation, speed and samples as the options ask. */
    public Report run(Backend.Session session, Tokenizer tokenizer) throws IOException {
        NemotronConfig config = session.config();
        LoglikelihoodScorer scorer = new LoglikelihoodScorer(session, options.batchRows());
        MultipleChoiceScorer mcScorer = new MultipleChoiceScorer(scorer, tokenizer);
        LastWordScorer lwScorer = new LastWordScorer(scorer, tokenizer);
        List<MultipleChoiceScorer.Result> mc = new ArrayList<>();
        for (MultipleChoiceTask t : multipleChoiceTasks) mc.add(mcScorer.score(t));
        List<LastWordScorer.Result> lw = new ArrayList<>();
        for (LastWordTask t : lastWordTasks) lw.add(lwScorer.score(t));
        Evaluator.Result validation = null;
        if (options.valData() != null) {
            try (TokenData data = TokenData.open(options.valData())) {
                if (data.vocabSize() > config.vocabSize())
                    throw new IOException(options.valData() + ": vocab_size " + data.vocabSize() + " exceeds the model's "
                            + config.vocabSize());
                int seq = Math.min(config.maxPositionEmbeddings(), MAX_VALIDATION_SEQ);
                validation = new Evaluator(session, seq, Math.max(1, options.batchRows() / 4))
                        .evaluate(data.val(), Long.MAX_VALUE);
            }
        }
        SpeedProbe.Result speed = options.speed() == null ? null : SpeedProbe.measure(session, options.speed());
        List<PromptSamples.Sample> samples = options.prompts().isEmpty() ? List.of()
                : PromptSamples.generate(session, tokenizer, options.prompts(), options.sampleTokens());
        return new Report(mc, lw, validation, speed, samples);
    }

    /** The report as JSON (the last stdout line of {@code eval --json}, a results.jsonl row). */
    public static ObjectNode toJson(Report r) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode tasks = root.putObject("tasks");
        for (MultipleChoiceScorer.Result m : r.multipleChoice()) {
            ObjectNode t = tasks.putObject(m.task());
            t.put("n", m.n());
            putWithInterval(t, "acc", m.acc());
            putWithInterval(t, "acc_norm", m.accNorm());
            t.put("seconds", m.seconds());
        }
        for (LastWordScorer.Result l : r.lastWord()) {
            ObjectNode t = tasks.putObject(l.task());
            t.put("n", l.n());
            putWithInterval(t, "acc", l.acc());
            t.put("ppl", l.perplexity());
            t.put("token_ppl", l.tokenPerplexity());
            t.put("seconds", l.seconds());
        }
        if (r.validation() != null) {
            ObjectNode v = root.putObject("validation");
            v.put("val_ce_loss", r.validation().ceLoss());
            v.put("val_ppl", r.validation().perplexity());
            v.put("tokens", r.validation().tokens());
        }
        if (r.speed() != null) {
            ObjectNode s = root.putObject("speed");
            SpeedProbe.Settings set = r.speed().settings();
            s.put("forward_tokens_per_s", r.speed().forwardTokensPerSecond());
            s.put("decode_tokens_per_s", r.speed().decodeTokensPerSecond());
            s.put("forward_batch", set.batch());
            s.put("forward_seq", set.seq());
            s.put("decode_prompt", set.promptLength());
            s.put("decode_tokens", set.decodeTokens());
            s.put("repeats", set.repeats());
        }
        ArrayNode samples = root.putArray("samples");
        for (PromptSamples.Sample s : r.samples())
            samples.addObject().put("prompt", s.prompt()).put("continuation", s.continuation());
        return root;
    }

    private static void putWithInterval(ObjectNode o, String key, ConfidenceInterval ci) {
        o.put(key, ci.estimate());
        o.putArray(key + "_ci95").add(ci.lower()).add(ci.upper());
    }

    /** The report as Markdown: a table of the tasks, then validation, speed and the samples. */
    public static String toMarkdown(Report r) {
        MarkdownTable table = new MarkdownTable("task", "n", "acc [95% CI]", "acc_norm [95% CI]", "ppl (word)", "seconds");
        for (MultipleChoiceScorer.Result m : r.multipleChoice())
            table.row(m.task(), m.n(), m.acc().format(3), m.accNorm().format(3), "-", MarkdownTable.number(m.seconds(), 1));
        for (LastWordScorer.Result l : r.lastWord())
            table.row(l.task(), l.n(), l.acc().format(3), "-", MarkdownTable.number(l.perplexity(), 1), MarkdownTable.number(l.seconds(), 1));
        StringBuilder sb = new StringBuilder();
        if (table.rowCount() > 0) sb.append(table).append('\n');
        if (r.validation() != null)
            sb.append(String.format(Locale.ROOT, "Validation: CE %.4f nats/token, perplexity %.2f over %,d tokens.%n%n",
                    r.validation().ceLoss(), r.validation().perplexity(), r.validation().tokens()));
        if (r.speed() != null) {
            SpeedProbe.Settings s = r.speed().settings();
            sb.append(String.format(Locale.ROOT, "Speed (median of %d): forward %,.0f tokens/s at [%d, %d]; decode %,.1f tokens/s "
                            + "(%d tokens after a %d-token prompt).%n%n", s.repeats(), r.speed().forwardTokensPerSecond(), s.batch(), s.seq(),
                    r.speed().decodeTokensPerSecond(), s.decodeTokens(), s.promptLength()));
        }
        if (!r.samples().isEmpty()) {
            sb.append("Greedy samples:\n\n");
            for (PromptSamples.Sample s : r.samples())
                sb.append("- **").append(s.prompt()).append("**").append(s.continuation().replace('\n', ' ')).append('\n');
            sb.append('\n');
        }
        return sb.toString();
    }
}
