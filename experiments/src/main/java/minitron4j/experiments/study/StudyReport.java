package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.experiments.eval.EvalSuite;
import minitron4j.experiments.eval.LastWordScorer;
import minitron4j.experiments.eval.MultipleChoiceScorer;
import minitron4j.experiments.eval.PromptSamples;
import minitron4j.experiments.eval.SpeedProbe;
import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.experiments.report.PairedBootstrap;
import minitron4j.experiments.report.Plots;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.pruning.ImportanceScores;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Evaluates a finished study (built-in tasks, speed, samples) and writes {@code report.md} with
 * its tables, findings with their intervals, the tokens-to-match curve, the best-practices table and
 * PNG plots. Every number in the report is measured in this run.
 */
public final class StudyReport {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The usual sampling settings for the samples beside the greedy ones. */
    static final float SAMPLE_TEMPERATURE = 0.8f, SAMPLE_TOP_P = 0.95f;
    static final int SAMPLE_TOKENS = 32;
    /** The seed paper's headline: up to 40x fewer training tokens than training from scratch. */
    static final double PAPER_TOKENS_SAVED = 40;

    /** What the runner hands over. */
    public record Inputs(StudySpec spec, Path runDir, Path teacher, NemotronConfig teacherConfig, Evaluator.Result teacherEval,
                         ImportanceScores importance, List<StudyRunner.ArmResult> arms, List<StudyRunner.ScratchPoint> scratchCurve,
                         List<StudyRunner.PruningCheck> pruningChecks, StudyRunner.CorrectionResult correction, Path data) {
        public double teacherLoss() {
            return teacherEval.ceLoss();
        }
    }

    private StudyReport() {}

    /** Evaluates the teacher and every arm on backend (tasks, speed, samples) and writes report.md with its plots. */
    public static Path write(Inputs in, Backend backend) throws IOException {
        StudyRunner.stage("evaluation: built-in tasks, speed, samples");
        Tokenizer tok = HfTokenizer.load(in.data().resolve(TokenData.TOKENIZER));
        EvalSuite.Options base = EvalSuite.Options.defaults();
        List<String> tasks = new ArrayList<>();
        for (String t : in.spec().tasks()) if (base.tasks().contains(t)) tasks.add(t);
        EvalSuite.Options taskOptions = new EvalSuite.Options(tasks, in.spec().taskItems(), 0, base.cacheDir(), null,
                base.batchRows(), null, List.of(), 0);
        EvalSuite suite = EvalSuite.prepare(taskOptions);
        Map<String, EvalSuite.Report> evals = new LinkedHashMap<>();
        StudyRunner.ArmResult student = in.arms().stream().filter(a -> a.arm().equals("width_kd")).findFirst()
                .orElse(in.arms().get(0));
        Map<String, Probe> probes = new LinkedHashMap<>();
        try (Backend.Session teacher = open(backend, in.teacher())) {
            evals.put("teacher", suite.run(teacher, tok));
            probes.put("teacher", Probe.of(teacher, tok));
        }
        for (StudyRunner.ArmResult a : in.arms()) {
            try (Backend.Session arm = open(backend, a.model())) {
                evals.put(a.arm() + "#" + a.seed(), suite.run(arm, tok));
                if (a == student) probes.put(a.arm(), Probe.of(arm, tok));
            }
        }
        List<String> movingFirst = tasksByMovement(tasks, evals);

        Path dir = in.runDir();
        plots(in, dir);
        StringBuilder md = new StringBuilder();
        md.append("# Minitron study: ").append(in.spec().name()).append("\n\n");
        setup(in, md);
        results(in, evals, movingFirst, md);
        List<Finding> findings = findings(in);
        findingsSection(findings, in.spec().seeds().size(), md);
        boolean curvePlotted = tokensToMatch(in, md);
        bestPractices(in, findings, md);
        md.append("## Plots\n\n![validation loss of every arm](loss_curves.png)\n\n![final validation loss](final_losses.png)\n\n");
        if (curvePlotted) md.append("![scratch CE over its training tokens](tokens_to_match.png)\n\n");
        md.append("![importance distributions](importance.png)\n\n");
        inference(probes, in, student, md);
        Path report = dir.resolve("report.md");
        Files.writeString(report, md.toString());
        return report;
    }

    /** Speed and samples of one model. */
    record Probe(SpeedProbe.Result speed, List<PromptSamples.Sample> greedy, List<PromptSamples.Sample> sampled) {
        static Probe of(Backend.Session session, Tokenizer tok) {
            return new Probe(SpeedProbe.measure(session, SpeedProbe.Settings.defaults(session.config())),
                    PromptSamples.generate(session, tok, PromptSamples.DEFAULT_PROMPTS, SAMPLE_TOKENS),
                    PromptSamples.generate(session, tok, PromptSamples.DEFAULT_PROMPTS, SAMPLE_TOKENS,
                            new Sampler(SAMPLE_TEMPERATURE, 0, SAMPLE_TOP_P, 0)));
        }
    }

    private static Backend.Session open(Backend backend, Path model) throws IOException {
        return backend.open(Checkpoint.load(model, backend.weightStorage()).params());
    }

    private static void setup(Inputs in, StringBuilder md) throws IOException {
        JsonNode data = JSON.readTree(in.data().resolve(TokenData.INFO).toFile());
        NemotronConfig t = in.teacherConfig();
        StudySpec s = in.spec();
        md.append("## Setup\n\n");
        md.append(String.format(Locale.ROOT, "- Data: %s, tokenizer %s (vocab %d); %,d training and %,d held-out tokens "
                        + "(whole documents held out by seed %d); unigram entropy of the training tokens %.3f nats.%n",
                s.corpus(), s.tokenizer(), data.path("vocab_size").asInt(), data.path("train_tokens").asLong(),
                data.path("val_tokens").asLong(), s.dataSeed(), data.path("unigram_entropy_nats").asDouble()));
        String trained = s.teacherInit() != null ? "given as " + s.teacherInit()
                : String.format(Locale.ROOT, "trained %d steps of %d x %d = %,d tokens (**%.1fx one arm's tokens**)",
                s.teacherSteps(), s.batch(), s.seqLen(), s.teacherTokens(), (double) s.teacherTokens() / s.armTokens());
        md.append(String.format(Locale.ROOT, "- Teacher: hidden %d, %d layers, %d heads (%d KV, head_dim %d), ffn %d: "
                        + "**%,d parameters**, %s; held-out CE %.4f.%n", t.hiddenSize(), t.numHiddenLayers(),
                t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.intermediateSize(), t.parameterCount(), trained,
                in.teacherLoss()));
        in.arms().stream().filter(a -> StudySpec.MAIN_ARMS.contains(a.arm()))
                .min(Comparator.comparingDouble(StudyRunner.ArmResult::lossAfterPruning))
                .ifPresent(best -> {
                    double gap = best.lossAfterPruning() - in.teacherLoss();
                    md.append(String.format(Locale.ROOT, "- The teacher's CE (%.4f) against the best student's starting point "
                                    + "(%s after pruning, %.4f): %s.%n", in.teacherLoss(), best.arm(), best.lossAfterPruning(),
                            gap > 0 ? String.format(Locale.ROOT, "%.4f nats below it", gap)
                                    : String.format(Locale.ROOT, "**not below it** (%.4f nats above): the students start "
                                    + "where the teacher is, and distillation has little to teach", -gap)));
                });
        md.append(String.format(Locale.ROOT, "- Width target: hidden %d, %d heads, ffn %d (embedding channels, heads and "
                        + "neurons by activation importance, P1 defaults: sequence mean, batch L2, %d calibration windows).%n",
                s.studentHidden(), s.studentHeads(), s.studentFfn(), s.calibrationSamples()));
        md.append(String.format(Locale.ROOT, "- Every arm trains %d steps of %d x %d = **%,d tokens** (lr %.1e cosine, "
                        + "KD: forward KL at tau %.1f, no CE term); held-out CE on %,d windows of %d tokens spread over the "
                        + "held-out text (the same windows for every model).%n",
                s.armSteps(), s.batch(), s.seqLen(), s.armTokens(), s.armLr(), s.tau(), in.teacherEval().windows(), s.seqLen()));
        if (in.correction() != null)
            md.append(String.format(Locale.ROOT, "- Teacher correction: the teacher fine-tuned %d steps (%,d tokens, lr %.1e) on "
                            + "%s, which it was not trained on; its CE there went %.4f -> %.4f. The correction arms distil on "
                            + "that corpus and are scored on its held-out text.%n", s.correction().steps(), in.correction().tokens(),
                    s.correction().lr(), s.correction().corpus(), in.correction().teacherBefore().ceLoss(),
                    in.correction().teacherAfter().ceLoss()));
        md.append('\n');
        md.append("| arm | how the student is made | how it trains | tokens seen in total |\n|---|---|---|---:|\n");
        long teacherTokens = s.teacherTokens(), arm = s.armTokens();
        long corrected = in.correction() == null ? 0 : in.correction().tokens();
        md.append(String.format(Locale.ROOT, "| teacher | %s | cross-entropy | %s |%n",
                s.teacherInit() != null ? "given" : "random init", tokenCount(s, teacherTokens)));
        Map<String, String[]> rows = new LinkedHashMap<>();
        rows.put("width_kd", new String[]{"width-pruned by importance", "distilled from the teacher (logits)"});
        rows.put("depth_kd", new String[]{"layers dropped (lowest loss increase), about the same size", "distilled"});
        rows.put("random_kd", new String[]{"width-pruned at random (seeded), same shape", "distilled"});
        rows.put("width_ce", new String[]{"width-pruned by importance", "cross-entropy only, no teacher"});
        rows.put("width_kd_intermediate", new String[]{"width-pruned by importance",
                "distilled: logits plus every layer's hidden state (learned projections)"});
        rows.put("scratch", new String[]{"the width shape, random init", "cross-entropy"});
        rows.put("corrected_kd", new String[]{"the corrected teacher, width-pruned", "distilled from the corrected teacher"});
        rows.put("uncorrected_kd", new String[]{"the teacher as trained, width-pruned", "distilled from it"});
        for (Map.Entry<String, String[]> r : rows.entrySet()) {
            if (!s.arms().contains(r.getKey())) continue;
            long seen = r.getKey().equals("scratch") ? arm
                    : teacherTokens + arm + (r.getKey().equals("corrected_kd") ? corrected : 0);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", r.getKey(), r.getValue()[0], r.getValue()[1],
                    r.getKey().equals("scratch") ? String.format(Locale.ROOT, "%,d", seen) : tokenCount(s, seen)));
        }
        md.append("\nA pruned student has seen its teacher's tokens (through the weights it keeps) plus its own; the "
                + "scratch students only their own.\n\n");
    }

    /** A count that includes the teacher's training tokens: unknown (and said so) for a given teacher. */
    private static String tokenCount(StudySpec s, long tokens) {
        return s.teacherInit() != null ? String.format(Locale.ROOT, "unknown (%,d + the given teacher's)", tokens)
                : String.format(Locale.ROOT, "%,d", tokens);
    }

    private static void results(Inputs in, Map<String, EvalSuite.Report> evals, List<String> tasks, StringBuilder md) {
        md.append("## Results\n\n");
        List<String> header = new ArrayList<>(List.of("arm", "parameters", "CE after pruning", "CE after training", "perplexity"));
        List<String> lastWordTasks = tasks.stream().filter(t -> lastWord(evals.get("teacher"), t) != null).toList();
        for (String t : lastWordTasks) header.add(t + " ppl");
        for (String t : tasks) header.add(t + " acc");
        header.addAll(List.of("tokens", "train tokens/s"));
        MarkdownTable table = new MarkdownTable(header.toArray(String[]::new));
        List<Object> teacherRow = new ArrayList<>(List.of("teacher", String.format(Locale.ROOT, "%,d",
                in.teacherConfig().parameterCount()), "-", MarkdownTable.number(in.teacherLoss(), 4),
                MarkdownTable.number(Math.exp(in.teacherLoss()), 2)));
        for (String t : lastWordTasks) teacherRow.add(MarkdownTable.number(lastWord(evals.get("teacher"), t).perplexity(), 1));
        for (String t : tasks) teacherRow.add(taskAccuracy(evals.get("teacher"), t).format(3));
        teacherRow.addAll(List.of(tokenCount(in.spec(), in.spec().teacherTokens()), "-"));
        table.row(teacherRow.toArray());
        for (String arm : in.spec().arms()) {
            List<StudyRunner.ArmResult> rs = in.arms().stream().filter(a -> a.arm().equals(arm)).toList();
            if (rs.isEmpty()) continue;
            List<Object> row = new ArrayList<>();
            row.add(arm);
            row.add(String.format(Locale.ROOT, "%,d", rs.get(0).parameters()));
            row.add(meanCi(rs, StudyRunner.ArmResult::lossAfterPruning));
            row.add(meanCi(rs, StudyRunner.ArmResult::lossAfterTraining));
            row.add(meanCi(rs, StudyRunner.ArmResult::perplexity));
            for (String t : lastWordTasks)
                row.add(MarkdownTable.number(rs.stream().mapToDouble(a -> lastWord(evals.get(key(a)), t).perplexity())
                        .average().orElse(Double.NaN), 1));
            for (String t : tasks) {
                double[] acc = rs.stream().mapToDouble(a -> taskAccuracy(evals.get(key(a)), t).estimate()).toArray();
                row.add(rs.size() == 1 ? taskAccuracy(evals.get(key(rs.get(0))), t).format(3)
                        : ConfidenceInterval.mean95(acc).format(3));
            }
            row.add(String.format(Locale.ROOT, "%,d", rs.get(0).tokens()));
            row.add(MarkdownTable.number(rs.stream().mapToDouble(StudyRunner.ArmResult::tokensPerSecond).average().orElse(0), 0));
            table.row(row.toArray());
        }
        md.append(table).append('\n');
        md.append(in.spec().seeds().size() > 1 ? "Losses are means over seeds " + in.spec().seeds()
                + " with 95% t-intervals; task accuracies with 95% Wilson intervals (one seed) or t-intervals over seeds.\n"
                : "One seed; task accuracies with 95% Wilson intervals over the items (chance is 0.25 for 4-way choices).\n");
        if (in.arms().stream().anyMatch(a -> StudySpec.CORRECTION_ARMS.contains(a.arm())))
            md.append("The correction arms' CE is on the correction corpus's held-out text, the others' on the study corpus's.\n");
        if (!tasks.isEmpty()) md.append(!lastWordTasks.isEmpty() ? "The last-word perplexity comes first: it moves long before any accuracy "
                + "leaves chance. The accuracies follow in decreasing spread over the models (noisy at these item counts).\n"
                : "The accuracies are in decreasing spread over the models (noisy at these item counts).\n");
        md.append('\n');
    }

    private static String key(StudyRunner.ArmResult a) {
        return a.arm() + "#" + a.seed();
    }

    /** The tasks in decreasing spread of accuracy over the models evaluated. */
    static List<String> tasksByMovement(List<String> tasks, Map<String, EvalSuite.Report> evals) {
        Map<String, Double> spread = new LinkedHashMap<>();
        for (String t : tasks) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (EvalSuite.Report r : evals.values()) {
                double acc = taskAccuracy(r, t).estimate();
                lo = Math.min(lo, acc);
                hi = Math.max(hi, acc);
            }
            spread.put(t, hi - lo);
        }
        return tasks.stream().sorted(Comparator.comparingDouble(t -> -spread.get(t))).toList();
    }

    static List<Finding> findings(Inputs in) {
        List<Finding> f = new ArrayList<>();
        f.add(Finding.of("pruned + distilled ends below the same shape trained from scratch on the same tokens (P1 Table 14)",
                Finding.Claim.BELOW, in.arms(), "width_kd", "scratch", "after training", StudyRunner.ArmResult::afterTraining));
        f.add(Finding.of("importance-based pruning starts below random pruning of the same shape", Finding.Claim.BELOW, in.arms(), "width_kd",
                "random_kd", "after pruning", StudyRunner.ArmResult::afterPruning));
        f.add(Finding.of("importance-based pruning still ends below random pruning after distillation", Finding.Claim.BELOW, in.arms(), "width_kd",
                "random_kd", "after training", StudyRunner.ArmResult::afterTraining));
        f.add(Finding.of("width pruning beats depth pruning after retraining (P1 Table 13)", Finding.Claim.BELOW, in.arms(), "width_kd", "depth_kd",
                "after training", StudyRunner.ArmResult::afterTraining));
        f.add(Finding.of("distillation from the teacher beats plain cross-entropy retraining (P1 Table 15)", Finding.Claim.BELOW,
                in.arms(),
                "width_kd", "width_ce", "after training", StudyRunner.ArmResult::afterTraining));
        f.add(Finding.of("logit-only distillation is at least as good as adding the intermediate-state loss when depth is kept "
                        + "(P1 best practice 6)", Finding.Claim.NOT_ABOVE, in.arms(), "width_kd", "width_kd_intermediate", "after training",
                StudyRunner.ArmResult::afterTraining));
        f.add(Finding.of("teacher correction: distilling from the corrected teacher ends below distilling from the "
                        + "uncorrected one on the new corpus (P2)", Finding.Claim.BELOW, in.arms(), "corrected_kd", "uncorrected_kd", "after training",
                StudyRunner.ArmResult::afterTraining));
        f.removeIf(Objects::isNull);
        return f;
    }

    private static void findingsSection(List<Finding> findings, int seeds, StringBuilder md) {
        md.append("## Findings (directions from the Minitron papers, checked at this scale)\n\n");
        for (Finding f : findings)
            md.append("- ").append(f.verdict().text()).append(": ").append(f.claim()).append(" (").append(f.stage())
                    .append("): ").append(f.difference()).append(".\n");
        md.append("\nA finding is reproduced only when its 95% interval(s) exclude zero on the claimed side; an interval "
                + "that holds zero means this scale cannot tell the two apart (for an \"at least as good\" claim: "
                + "consistent). The window interval resamples blocks of consecutive held-out windows (neighbours come from "
                + "the same address);");
        md.append(seeds > 1 ? " the seed interval measures how much another training run moves the difference.\n\n"
                : " with one seed it holds which text was held out, not how much another training run would move the "
                + "difference: run several seeds (`--full`) for that.\n\n");
    }

    /** The tokens-to-match section and its plot; false (no plot) when the study has no scratch curve. */
    private static boolean tokensToMatch(Inputs in, StringBuilder md) throws IOException {
        List<StudyRunner.ScratchPoint> curve = in.scratchCurve();
        List<StudyRunner.ArmResult> target = in.arms().stream().filter(a -> a.arm().equals("width_kd")).toList();
        if (curve.isEmpty()) return false;
        md.append("## Tokens to match: how long scratch training takes to catch up\n\n");
        // The budgets as trained: a multiple's steps are rounded, so the curve's x is the tokens each run took.
        double[] multiples = in.spec().scratchBudgets().stream()
                .mapToDouble(m -> (double) in.spec().scratchSteps(m) / in.spec().armSteps()).toArray();
        MarkdownTable table = new MarkdownTable("scratch budget", "training tokens", "held-out CE");
        double[][] sums = new double[multiples.length][];
        List<Plots.Series> series = new ArrayList<>();
        double[] x = new double[multiples.length], y = new double[multiples.length];
        for (int b = 0; b < multiples.length; b++) {
            double m = in.spec().scratchBudgets().get(b);
            List<StudyRunner.ScratchPoint> points = curve.stream().filter(p -> p.multiple() == m).toList();
            sums[b] = Finding.seedMean(points.stream().map(StudyRunner.ScratchPoint::result).toList());
            double[] ce = points.stream().mapToDouble(p -> p.result().ceLoss()).toArray();
            x[b] = points.get(0).tokens();
            y[b] = Arrays.stream(ce).average().orElseThrow();
            table.row(StudyRunner.budgetLabel(m) + "x", String.format(Locale.ROOT, "%,d", points.get(0).tokens()), meanCi(ce));
        }
        series.add(new Plots.Series("scratch (own schedule per budget)", x, y));
        Map<String, Double> levels = new LinkedHashMap<>();
        for (String arm : List.of("width_kd", "depth_kd", "random_kd", "width_ce", "width_kd_intermediate"))
            in.arms().stream().filter(a -> a.arm().equals(arm)).mapToDouble(StudyRunner.ArmResult::lossAfterTraining).average()
                    .ifPresent(v -> levels.put(arm + " (" + String.format(Locale.ROOT, "%,d", in.spec().armTokens()) + " tokens)", v));
        levels.put("teacher", in.teacherLoss());
        Plots.logXWithLevels("Scratch student's held-out CE over its training tokens", "training tokens (log)",
                "val CE (nats/token)", series, levels, in.runDir().resolve("tokens_to_match.png"));
        md.append(table).append('\n');
        if (target.isEmpty()) {
            md.append("(No width_kd arm ran, so there is no CE to match.)\n\n");
            return true;
        }
        int[] tokens = target.get(0).afterTraining().windowTokens();
        TokensToMatch match = TokensToMatch.estimate(multiples, sums,
                Finding.seedMean(target.stream().map(StudyRunner.ArmResult::afterTraining).toList()), tokens, Finding.BOOTSTRAP_SEED);
        md.append(String.format(Locale.ROOT, "To reach width_kd's held-out CE (%.4f after %,d tokens of distillation), the scratch "
                        + "student needs **%s** its tokens (interpolated in log tokens; the 95%% interval resamples the "
                        + "held-out windows, not seeds). The seed paper reports up to %.0fx fewer tokens for pruning + distillation than "
                        + "for training from scratch.", target.stream().mapToDouble(StudyRunner.ArmResult::lossAfterTraining)
                        .average().orElseThrow(), in.spec().armTokens(), match.format(), PAPER_TOKENS_SAVED));
        if (in.spec().teacherTokens() > 0)
            md.append(String.format(Locale.ROOT, " Counting the %,d tokens the teacher was trained on as well, the pruned path "
                            + "used %,d tokens in all: %.2fx of one arm's budget.", in.spec().teacherTokens(),
                    in.spec().teacherTokens() + in.spec().armTokens(),
                    (double) (in.spec().teacherTokens() + in.spec().armTokens()) / in.spec().armTokens()));
        md.append("\n\n");
        return true;
    }

    private static void bestPractices(Inputs in, List<Finding> findings, StringBuilder md) {
        md.append("## The papers' best practices, as this study checks them\n\n");
        MarkdownTable t = new MarkdownTable("practice", "the papers", "checked here", "what this study found");
        List<StudyRunner.PruningCheck> aggregation = in.pruningChecks().stream().filter(c -> c.practice().equals("aggregation")).toList();
        if (!aggregation.isEmpty())
            t.row("aggregate activations: batch L2, sequence mean", "P1 Table 11: best of the combinations",
                    "yes: held-out CE right after pruning to the width target, no retraining", againstPaperChoice(aggregation));
        t.row("width over depth", "P1: width pruning beats depth pruning after retraining", "yes: width_kd vs depth_kd",
                verdictOf(findings, "width_kd", "depth_kd"));
        t.row("distil, do not just retrain", "P1: KD beats CE retraining", "yes: width_kd vs width_ce",
                verdictOf(findings, "width_kd", "width_ce"));
        t.row("logit-only KD when depth is kept", "P1: intermediate-state loss helps only when depth is pruned a lot",
                "yes: width_kd vs width_kd_intermediate", verdictOf(findings, "width_kd", "width_kd_intermediate"));
        List<StudyRunner.PruningCheck> importance = in.pruningChecks().stream().filter(c -> c.practice().equals("importance")).toList();
        if (!importance.isEmpty())
            t.row("single-shot importance", "P1: iterative re-scoring brings no benefit", "yes: held-out CE right after pruning",
                    againstPaperChoice(importance));
        t.row("importance over random choice", "P1: activation importance", "yes: width_kd vs random_kd",
                verdictOf(findings, "width_kd", "random_kd"));
        t.row("rank candidates after ~300 steps of retraining", "P1: zero-shot loss misranks candidates",
                "no: the `search` command runs it (candidates near a budget, briefly distilled, ranked)", "-");
        t.row("teacher correction", "P2: fine-tune the teacher on the distillation data first",
                in.correction() != null ? "yes: corrected_kd vs uncorrected_kd" : "no: only in `demo --full`",
                in.correction() != null ? verdictOf(findings, "corrected_kd", "uncorrected_kd") : "-");
        md.append(t).append('\n');
        md.append("Each difference is named (a - b, nats of held-out CE); in the pruning-check rows it is the variant minus "
                + "the paper's choice, so a negative number there goes against the paper. Intervals are 95%, from a paired "
                + "bootstrap over blocks of held-out windows. A zero-shot CE ranks pruning choices before any retraining, "
                + "which P1 uses only as a first filter.\n\n");
    }

    /**
     * "P1's choice (sequence mean, batch l2): 4.6387; sequence l2, batch l2: 4.6065, -0.0322 [-0.04, -0.02]; ...": each
     * other variant's CE and its paired difference from the paper's choice.
     */
    private static String againstPaperChoice(List<StudyRunner.PruningCheck> checks) {
        StudyRunner.PruningCheck paper = checks.stream().filter(StudyRunner.PruningCheck::paperChoice).findFirst().orElseThrow();
        StringBuilder found = new StringBuilder(String.format(Locale.ROOT, "P1's choice (%s): %.4f", paper.variant(),
                paper.result().ceLoss()));
        for (StudyRunner.PruningCheck c : checks) {
            if (c == paper) continue;
            ConfidenceInterval d = PairedBootstrap.meanDifference(c.result().windowCeSums(), paper.result().windowCeSums(),
                    paper.result().windowTokens(), Finding.BOOTSTRAP_SEED);
            found.append(String.format(Locale.ROOT, "; %s: %.4f, it - P1's = %+.4f [%+.4f, %+.4f]", c.variant(),
                    c.result().ceLoss(), d.estimate(), d.lower(), d.upper()));
        }
        return found.toString();
    }

    private static String verdictOf(List<Finding> findings, String a, String b) {
        return findings.stream().filter(f -> f.a().equals(a) && f.b().equals(b)).reduce((x, y) -> y)
                .map(f -> f.verdict().text() + ": " + f.difference()).orElse("not run");
    }

    private static void inference(Map<String, Probe> probes, Inputs in, StudyRunner.ArmResult student, StringBuilder md) {
        md.append("## Inference: teacher vs width-pruned + distilled student\n\n");
        Probe teacher = probes.get("teacher"), pruned = probes.get(student.arm());
        MarkdownTable speed = new MarkdownTable("model", "parameters", "forward tokens/s", "decode tokens/s");
        speed.row("teacher", String.format(Locale.ROOT, "%,d", in.teacherConfig().parameterCount()),
                MarkdownTable.number(teacher.speed().forwardTokensPerSecond(), 0), MarkdownTable.number(teacher.speed().decodeTokensPerSecond(), 1));
        speed.row(student.arm(), String.format(Locale.ROOT, "%,d", student.parameters()),
                MarkdownTable.number(pruned.speed().forwardTokensPerSecond(), 0), MarkdownTable.number(pruned.speed().decodeTokensPerSecond(), 1));
        md.append(speed).append('\n').append(String.format(Locale.ROOT, "Speed-up: forward %.2fx, decode %.2fx.%n%n",
                pruned.speed().forwardTokensPerSecond() / teacher.speed().forwardTokensPerSecond(),
                pruned.speed().decodeTokensPerSecond() / teacher.speed().decodeTokensPerSecond()));
        md.append(String.format(Locale.ROOT, "Samples of up to %d new tokens: greedy, and sampled at temperature %.1f, top-p %.2f "
                        + "(seeded). Share of word 3-grams that repeat an earlier one in the same sample: teacher %s greedy, "
                        + "%s sampled; %s %s greedy, %s sampled.%n%n", SAMPLE_TOKENS, SAMPLE_TEMPERATURE, SAMPLE_TOP_P,
                percent(PromptSamples.repeatedTrigramShare(teacher.greedy())), percent(PromptSamples.repeatedTrigramShare(teacher.sampled())),
                student.arm(), percent(PromptSamples.repeatedTrigramShare(pruned.greedy())),
                percent(PromptSamples.repeatedTrigramShare(pruned.sampled()))));
        for (int i = 0; i < teacher.greedy().size(); i++) {
            md.append("- **").append(teacher.greedy().get(i).prompt()).append("**\n");
            md.append("  - teacher, greedy: ").append(oneLine(teacher.greedy().get(i).continuation())).append('\n');
            md.append("  - teacher, sampled: ").append(oneLine(teacher.sampled().get(i).continuation())).append('\n');
            md.append("  - ").append(student.arm()).append(", greedy: ").append(oneLine(pruned.greedy().get(i).continuation())).append('\n');
            md.append("  - ").append(student.arm()).append(", sampled: ").append(oneLine(pruned.sampled().get(i).continuation())).append('\n');
        }
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }

    private static String meanCi(List<StudyRunner.ArmResult> rs, ToDoubleFunction<StudyRunner.ArmResult> f) {
        return meanCi(rs.stream().mapToDouble(f).toArray());
    }

    /** One value as it is, several as their mean with a 95% t-interval. */
    private static String meanCi(double[] v) {
        return v.length == 1 ? MarkdownTable.number(v[0], 4) : ConfidenceInterval.mean95(v).format(4);
    }

    private static LastWordScorer.Result lastWord(EvalSuite.Report r, String task) {
        for (LastWordScorer.Result l : r.lastWord()) if (l.task().equals(task)) return l;
        return null;
    }

    private static ConfidenceInterval taskAccuracy(EvalSuite.Report r, String task) {
        for (MultipleChoiceScorer.Result m : r.multipleChoice()) if (m.task().equals(task)) return m.acc();
        LastWordScorer.Result l = lastWord(r, task);
        if (l != null) return l.acc();
        throw new IllegalArgumentException("no task " + task + " in the evaluation");
    }

    private static void plots(Inputs in, Path dir) throws IOException {
        List<Plots.Series> curves = new ArrayList<>();
        List<Plots.Bar> bars = new ArrayList<>();
        bars.add(Plots.Bar.of("teacher", in.teacherLoss()));
        long firstSeed = in.spec().seeds().get(0);
        for (String arm : in.spec().arms()) {
            if (StudySpec.CORRECTION_ARMS.contains(arm)) continue;
            List<StudyRunner.ArmResult> rs = in.arms().stream().filter(a -> a.arm().equals(arm)).toList();
            if (rs.isEmpty()) continue;
            double[] finals = rs.stream().mapToDouble(StudyRunner.ArmResult::lossAfterTraining).toArray();
            bars.add(finals.length > 1 ? new Plots.Bar(arm, ConfidenceInterval.mean95(finals).estimate(),
                    ConfidenceInterval.mean95(finals).halfWidth()) : Plots.Bar.of(arm, finals[0]));
            for (StudyRunner.ArmResult r : rs)
                if (r.seed() == firstSeed) curves.add(validationCurve(arm, r));
        }
        Plots.lines("Held-out CE during training (equal tokens per arm)", "step", "val CE (nats/token)", curves,
                dir.resolve("loss_curves.png"));
        Plots.bars("Held-out CE after training", "val CE (nats/token)", bars, dir.resolve("final_losses.png"));
        Map<String, double[]> groups = new LinkedHashMap<>();
        groups.put("embedding channels", in.importance().embedding());
        groups.put("attention heads", flatten(in.importance().heads()));
        groups.put("MLP neurons", flatten(in.importance().neurons()));
        groups.put("layers (block importance)", in.importance().layers());
        Plots.histograms("Importance scores of the teacher", groups, 30, dir.resolve("importance.png"));
    }

    /** val_ce_loss rows of a training run's log.jsonl (step 0 = the loss right after pruning). */
    private static Plots.Series validationCurve(String arm, StudyRunner.ArmResult r) throws IOException {
        List<double[]> points = new ArrayList<>();
        points.add(new double[]{0, r.lossAfterPruning()});
        for (String line : Files.readAllLines(r.trainingRun().resolve("log.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.has("val_ce_loss")) points.add(new double[]{row.get("step").asDouble(), row.get("val_ce_loss").asDouble()});
        }
        double[] x = new double[points.size()], y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Plots.Series(arm, x, y);
    }

    private static double[] flatten(double[][] a) {
        int n = 0;
        for (double[] r : a) n += r.length;
        double[] out = new double[n];
        int i = 0;
        for (double[] r : a) for (double v : r) out[i++] = v;
        return out;
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('|', '/');
    }
}
