package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.experiments.eval.EvalSuite;
import minitron4j.experiments.eval.GreedySamples;
import minitron4j.experiments.eval.LastWordScorer;
import minitron4j.experiments.eval.MultipleChoiceScorer;
import minitron4j.experiments.eval.SpeedProbe;
import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.experiments.report.Plots;
import minitron4j.model.backend.Backend;
import minitron4j.model.NemotronConfig;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.pruning.ImportanceScores;
import minitron4j.training.TokenData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Evaluates a finished study (built-in tasks, speed, samples) and writes {@code report.md} with
 * its tables, findings and PNG plots. Every number in the report is measured in this run.
 */
public final class StudyReport {
    static final ObjectMapper JSON = new ObjectMapper();

    /** What the runner hands over. */
    public record Inputs(StudySpec spec, Path runDir, Path teacher, NemotronConfig teacherConfig, double teacherLoss,
                         ImportanceScores importance, List<StudyRunner.ArmResult> arms, Path data) {}

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
        SpeedProbe.Result teacherSpeed, studentSpeed;
        List<GreedySamples.Sample> teacherSamples, studentSamples;
        try (Backend.Session teacher = open(backend, in.teacher())) {
            evals.put("teacher", suite.run(teacher, tok));
            teacherSpeed = SpeedProbe.measure(teacher, SpeedProbe.Settings.defaults(teacher.config()));
            teacherSamples = GreedySamples.generate(teacher, tok, GreedySamples.DEFAULT_PROMPTS, 24);
        }
        for (StudyRunner.ArmResult a : in.arms()) {
            try (Backend.Session arm = open(backend, a.model())) {
                evals.put(a.arm() + "#" + a.seed(), suite.run(arm, tok));
            }
        }
        try (Backend.Session studentSession = open(backend, student.model())) {
            studentSpeed = SpeedProbe.measure(studentSession, SpeedProbe.Settings.defaults(studentSession.config()));
            studentSamples = GreedySamples.generate(studentSession, tok, GreedySamples.DEFAULT_PROMPTS, 24);
        }

        Path dir = in.runDir();
        plots(in, dir);
        StringBuilder md = new StringBuilder();
        md.append("# Minitron study: ").append(in.spec().name()).append("\n\n");
        setup(in, md);
        results(in, evals, tasks, md);
        findings(in, md);
        md.append("## Plots\n\n![validation loss of every arm](loss_curves.png)\n\n![final validation loss](final_losses.png)\n\n")
                .append("![importance distributions](importance.png)\n\n");
        md.append("## Inference: teacher vs width-pruned + distilled student\n\n");
        MarkdownTable speed = new MarkdownTable("model", "parameters", "forward tokens/s", "decode tokens/s");
        speed.row("teacher", String.format(Locale.ROOT, "%,d", in.teacherConfig().parameterCount()),
                MarkdownTable.number(teacherSpeed.forwardTokensPerSecond(), 0), MarkdownTable.number(teacherSpeed.decodeTokensPerSecond(), 1));
        speed.row(student.arm(), String.format(Locale.ROOT, "%,d", student.parameters()),
                MarkdownTable.number(studentSpeed.forwardTokensPerSecond(), 0), MarkdownTable.number(studentSpeed.decodeTokensPerSecond(), 1));
        md.append(speed).append('\n').append(String.format(Locale.ROOT, "Speed-up: forward %.2fx, decode %.2fx.%n%n",
                studentSpeed.forwardTokensPerSecond() / teacherSpeed.forwardTokensPerSecond(),
                studentSpeed.decodeTokensPerSecond() / teacherSpeed.decodeTokensPerSecond()));
        md.append("Greedy samples (teacher, then student):\n\n");
        for (int i = 0; i < teacherSamples.size(); i++) {
            md.append("- **").append(teacherSamples.get(i).prompt()).append("**")
                    .append(oneLine(teacherSamples.get(i).continuation())).append("\n");
            md.append("  - student: **").append(studentSamples.get(i).prompt()).append("**")
                    .append(oneLine(studentSamples.get(i).continuation())).append("\n");
        }
        Path report = dir.resolve("report.md");
        Files.writeString(report, md.toString());
        return report;
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
        md.append(String.format(Locale.ROOT, "- Teacher: hidden %d, %d layers, %d heads (%d KV, head_dim %d), ffn %d: "
                        + "**%,d parameters**, trained %d steps of %d x %d tokens; held-out CE %.4f.%n", t.hiddenSize(),
                t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.intermediateSize(),
                t.parameterCount(), s.teacherSteps(), s.batch(), s.seqLen(), in.teacherLoss()));
        md.append(String.format(Locale.ROOT, "- Width target: hidden %d, %d heads, ffn %d (embedding channels, heads and "
                        + "neurons by activation importance, P1 defaults: sequence mean, batch L2, %d calibration windows).%n",
                s.studentHidden(), s.studentHeads(), s.studentFfn(), s.calibrationSamples()));
        md.append(String.format(Locale.ROOT, "- Every arm trains %d steps of %d x %d = **%,d tokens** (lr %.1e cosine, "
                        + "KD: forward KL at tau %.1f, no CE term); held-out CE on the first %d validation windows.%n%n",
                s.armSteps(), s.batch(), s.seqLen(), s.armTokens(), s.armLr(), s.tau(), s.evalBatches()));
        md.append("| arm | how the student is made | how it trains |\n|---|---|---|\n")
                .append("| width_kd | width-pruned by importance | distilled from the teacher |\n")
                .append("| depth_kd | layers dropped (lowest loss increase), same size | distilled |\n")
                .append("| random_kd | width-pruned at random (seeded), same shape | distilled |\n")
                .append("| width_ce | width-pruned by importance | cross-entropy only, no teacher |\n")
                .append("| scratch | the width shape, random init | cross-entropy |\n\n");
    }

    private static void results(Inputs in, Map<String, EvalSuite.Report> evals, List<String> tasks, StringBuilder md) {
        md.append("## Results\n\n");
        List<String> header = new ArrayList<>(List.of("arm", "parameters", "CE after pruning", "CE after training", "perplexity"));
        for (String t : tasks) header.add(t + " acc");
        header.addAll(List.of("tokens", "train tokens/s"));
        MarkdownTable table = new MarkdownTable(header.toArray(String[]::new));
        List<Object> teacherRow = new ArrayList<>(List.of("teacher", String.format(Locale.ROOT, "%,d",
                in.teacherConfig().parameterCount()), "-", MarkdownTable.number(in.teacherLoss(), 4),
                MarkdownTable.number(Math.exp(in.teacherLoss()), 2)));
        for (String t : tasks) teacherRow.add(taskAccuracy(evals.get("teacher"), t).format(3));
        teacherRow.addAll(List.of("-", "-"));
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
            for (String t : tasks) {
                double[] acc = rs.stream().mapToDouble(a -> taskAccuracy(evals.get(a.arm() + "#" + a.seed()), t).estimate()).toArray();
                row.add(rs.size() == 1 ? taskAccuracy(evals.get(arm + "#" + rs.get(0).seed()), t).format(3)
                        : ConfidenceInterval.mean95(acc).format(3));
            }
            row.add(String.format(Locale.ROOT, "%,d", rs.get(0).tokens()));
            row.add(MarkdownTable.number(rs.stream().mapToDouble(StudyRunner.ArmResult::tokensPerSecond).average().orElse(0), 0));
            table.row(row.toArray());
        }
        md.append(table).append('\n');
        md.append(in.spec().seeds().size() > 1 ? "Losses are means over seeds " + in.spec().seeds()
                + " with 95% t-intervals; task accuracies with 95% Wilson intervals (one seed) or t-intervals over seeds.\n\n"
                : "One seed; task accuracies with 95% Wilson intervals over the items (chance is 0.25 for 4-way choices).\n\n");
    }

    private static void findings(Inputs in, StringBuilder md) {
        md.append("## Findings (directions from the Minitron papers, checked at this scale)\n\n");
        finding(md, in, "width_kd", "scratch", StudyRunner.ArmResult::lossAfterTraining,
                "pruned + distilled ends below the same shape trained from scratch on the same tokens (P1 Table 14)");
        finding(md, in, "width_kd", "random_kd", StudyRunner.ArmResult::lossAfterPruning,
                "importance-based pruning starts below random pruning of the same shape");
        finding(md, in, "width_kd", "random_kd", StudyRunner.ArmResult::lossAfterTraining,
                "importance-based pruning still ends below random pruning after distillation");
        finding(md, in, "width_kd", "depth_kd", StudyRunner.ArmResult::lossAfterTraining,
                "width pruning beats depth pruning after retraining (P1 Table 13)");
        finding(md, in, "width_kd", "width_ce", StudyRunner.ArmResult::lossAfterTraining,
                "distillation from the teacher beats plain cross-entropy retraining (P1 Table 15)");
        md.append('\n');
    }

    private static void finding(StringBuilder md, Inputs in, String a, String b, ToDoubleFunction<StudyRunner.ArmResult> f,
                                String claim) {
        double x = mean(in, a, f), y = mean(in, b, f);
        if (Double.isNaN(x) || Double.isNaN(y)) return;
        md.append(String.format(Locale.ROOT, "- %s %s: %s %.4f vs %s %.4f.%n", x < y ? "**Reproduced**:" : "**Not reproduced here**:",
                claim, a, x, b, y));
    }

    private static double mean(Inputs in, String arm, ToDoubleFunction<StudyRunner.ArmResult> f) {
        return in.arms().stream().filter(r -> r.arm().equals(arm)).mapToDouble(f).average().orElse(Double.NaN);
    }

    private static String meanCi(List<StudyRunner.ArmResult> rs, ToDoubleFunction<StudyRunner.ArmResult> f) {
        double[] v = rs.stream().mapToDouble(f).toArray();
        return v.length == 1 ? MarkdownTable.number(v[0], 4) : ConfidenceInterval.mean95(v).format(4);
    }

    private static ConfidenceInterval taskAccuracy(EvalSuite.Report r, String task) {
        for (MultipleChoiceScorer.Result m : r.multipleChoice()) if (m.task().equals(task)) return m.acc();
        for (LastWordScorer.Result l : r.lastWord()) if (l.task().equals(task)) return l.acc();
        throw new IllegalArgumentException("no task " + task + " in the evaluation");
    }

    private static void plots(Inputs in, Path dir) throws IOException {
        List<Plots.Series> curves = new ArrayList<>();
        List<Plots.Bar> bars = new ArrayList<>();
        bars.add(Plots.Bar.of("teacher", in.teacherLoss()));
        long firstSeed = in.spec().seeds().get(0);
        for (String arm : in.spec().arms()) {
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
