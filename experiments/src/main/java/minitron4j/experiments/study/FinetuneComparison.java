package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.report.ConfidenceInterval;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.experiments.report.PairedBootstrap;
import minitron4j.experiments.report.Plots;
import minitron4j.model.NemotronConfig;
import minitron4j.training.JsonlLog;
import minitron4j.training.TrainOptions;
import minitron4j.training.RunFolder;
import minitron4j.training.task.FineTuner;
import minitron4j.training.task.FinetuneSpec;
import minitron4j.training.task.LabeledData;
import minitron4j.training.task.LabeledExample;
import minitron4j.training.task.TaskEncoder;
import minitron4j.training.task.TaskEvaluation;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The same downstream task fine-tuned from several starting models (the study's pruned and
 * distilled student, its teacher, a student-shaped model trained from scratch, random weights),
 * each with several seeds: the held-out metric per model with a t-interval over seeds and, per
 * run, a Wilson interval over the held-out examples; each model against the first with a paired
 * block bootstrap over examples (neighbouring examples come from the same address). Writes the run
 * folders, results.jsonl, report.md, accuracy.png and curves.png into out; run again on the same
 * folder, it continues unfinished runs and keeps finished ones.
 */
public final class FinetuneComparison {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A starting model under the name the report gives it. */
    public record Source(String name, Path model) {
    }

    /** One fine-tuning run: its source, seed, the fine-tuned model's size, and its held-out evaluation. */
    record Run(Source source, long seed, long parameters, TaskEvaluation.Result result, Path dir) {
        Map<String, Double> metrics() {
            return result.metrics();
        }
    }

    private FinetuneComparison() {
    }

    public static Path run(List<Source> sources, List<Long> seeds, FinetuneSpec template, Path out, TrainOptions options) throws IOException {
        if (sources.size() < 2) throw new IllegalArgumentException("a comparison needs two or more --model NAME=DIR");
        if (template.val() == null) throw new IllegalArgumentException("a comparison needs --val (held-out examples)");
        Files.createDirectories(out);
        List<Run> runs = new ArrayList<>();
        try (Writer results = Files.newBufferedWriter(out.resolve("results.jsonl"), StandardCharsets.UTF_8)) {
            for (Source s : sources)
                for (long seed : seeds) {
                    Path dir = out.resolve(s.name() + "-seed" + seed);
                    FinetuneSpec spec = template.withModelAndSeed(s.model(), seed);
                    System.err.printf("%s, seed %d -> %s%n", s.name(), seed, dir);
                    Run run = evaluate(s, seed, spec, finishedCheckpoint(spec, dir, options), dir, options);
                    runs.add(run);
                    ObjectNode row = JSON.createObjectNode();
                    row.put("model", s.name());
                    row.put("source", s.model().toString());
                    row.put("seed", seed);
                    row.put("parameters", run.parameters());
                    run.metrics().forEach(row::put);
                    results.write(JSON.writeValueAsString(row) + "\n");
                    results.flush();
                }
        }
        report(runs, template, out);
        return out.resolve("report.md");
    }

    /**
     * The run's last checkpoint: trained now, resumed when an earlier comparison stopped inside it,
     * or as it stands when it is complete (a rerun writes the report again; a run with other
     * options is refused by name).
     */
    private static Path finishedCheckpoint(FinetuneSpec spec, Path dir, TrainOptions options) throws IOException {
        RunFolder folder = new RunFolder(dir);
        OptionalInt latest = Files.isDirectory(dir) ? folder.latestStep() : OptionalInt.empty();
        if (latest.isPresent() && latest.getAsInt() == spec.steps()) {
            FinetuneSpec asRun = FinetuneSpec.saved(folder);
            if (!asRun.differences(spec).isEmpty())
                throw new IllegalArgumentException(dir + " holds a run with other options (" + asRun.differences(spec) + "); choose another --out");
            return folder.checkpoint(spec.steps());
        }
        return FineTuner.run(spec, dir, latest.isPresent(), options).lastCheckpoint();
    }

    /** The final checkpoint on the held-out examples, example by example. */
    private static Run evaluate(Source s, long seed, FinetuneSpec spec, Path checkpoint, Path dir, TrainOptions options) throws IOException {
        FineTuner.TaskModel m = FineTuner.taskModel(spec.withModelAndSeed(checkpoint, seed));
        NemotronConfig c = m.config();
        List<LabeledExample> val = LabeledData.read(spec.val(), c.head(), new TaskEncoder(m.tokenizer(), spec.seqLen()));
        try (var session = options.backend().open(m.params())) {
            TaskEvaluation.Result r = TaskEvaluation.evaluate(session::forward, c, val, spec.batch(), spec.seqLen(), m.padId());
            return new Run(s, seed, c.parameterCount(), r, dir);
        }
    }

    private static void report(List<Run> runs, FinetuneSpec spec, Path out) throws IOException {
        String metric = runs.getFirst().result().scoreMetric();
        Map<Source, List<Run>> bySource = new LinkedHashMap<>();
        for (Run r : runs) bySource.computeIfAbsent(r.source(), k -> new ArrayList<>()).add(r);
        MarkdownTable table = new MarkdownTable("model", "parameters", metric + " (mean over seeds, 95% t-interval)",
                "per seed (95% interval over " + (runs.getFirst().result().binary() ? "examples, Wilson" : "examples") + ")", "val_task_loss");
        List<Plots.Bar> bars = new ArrayList<>();
        for (Map.Entry<Source, List<Run>> e : bySource.entrySet()) {
            List<Run> rs = e.getValue();
            ConfidenceInterval mean = ConfidenceInterval.mean95(rs.stream().mapToDouble(r -> r.metrics().get(metric)).toArray());
            List<String> perSeed = new ArrayList<>();
            for (Run r : rs) perSeed.add(interval(r.result()).format(3));
            double loss = rs.stream().mapToDouble(r -> r.metrics().get("val_task_loss")).average().orElse(Double.NaN);
            table.row(e.getKey().name(), String.format(Locale.ROOT, "%,d", rs.getFirst().parameters()), mean.format(3), String.join("; ", perSeed),
                    MarkdownTable.number(loss, 4));
            bars.add(new Plots.Bar(e.getKey().name(), mean.estimate(), mean.halfWidth()));
        }
        MarkdownTable paired = new MarkdownTable("model - " + runs.getFirst().source().name(), "seed", metric + " difference (95% block bootstrap over examples)");
        List<Run> first = bySource.values().iterator().next();
        for (List<Run> rs : bySource.values()) {
            if (rs == first) continue;
            for (int i = 0; i < Math.min(rs.size(), first.size()); i++) {
                Run a = rs.get(i), b = first.get(i);
                int[] weights = java.util.Arrays.stream(a.result().exampleWeights()).mapToInt(w -> (int) w).toArray();
                paired.row(a.source().name(), a.seed(),
                        PairedBootstrap.meanDifference(a.result().exampleScores(), b.result().exampleScores(), weights, a.seed()).format(3));
            }
        }
        List<Plots.Series> curves = new ArrayList<>();
        for (Run r : runs) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (Map<String, Object> row : JsonlLog.read(r.dir().resolve("log.jsonl")))
                if (row.get(metric) instanceof Number v) {
                    x.add(((Number) row.get("step")).doubleValue());
                    y.add(v.doubleValue());
                }
            curves.add(new Plots.Series(r.source().name() + " s" + r.seed(), x.stream().mapToDouble(d -> d).toArray(),
                    y.stream().mapToDouble(d -> d).toArray()));
        }
        Plots.bars("Held-out " + metric + " after fine-tuning (" + spec.task() + ")", metric, bars, out.resolve("accuracy.png"));
        Plots.lines("Held-out " + metric + " during fine-tuning", "step", metric, curves, out.resolve("curves.png"));
        String md = "# Fine-tuning comparison: " + spec.task() + "\n\n"
                + String.format(Locale.ROOT, "Training data %s, held-out %s (%d examples); %d steps of %d examples of up to %d tokens, lr %s (warm-up %d, cosine), "
                        + "clip %s; seeds %s.%n%n", spec.data(), spec.val(), runs.getFirst().result().exampleScores().length, spec.steps(), spec.batch(), spec.seqLen(),
                spec.lr(), spec.warmup(), spec.clip(), first.stream().map(r -> Long.toString(r.seed())).toList())
                + table + "\n"
                + "Paired differences on the same held-out examples, run by run (blocks of neighbouring examples resampled, "
                + PairedBootstrap.RESAMPLES + " times):\n\n" + paired + "\n"
                + "![accuracy](accuracy.png)\n\n![curves](curves.png)\n";
        Files.writeString(out.resolve("report.md"), md);
    }

    /**
     * A run's interval for its example-level metric: Wilson for right-or-wrong examples, Wilson over
     * tokens for tagging (tokens taken as independent, so it is optimistic), a t-interval over examples
     * for regression's squared errors.
     */
    private static ConfidenceInterval interval(TaskEvaluation.Result r) {
        double[] s = r.exampleScores(), w = r.exampleWeights();
        if (r.binary() || java.util.Arrays.stream(w).anyMatch(x -> x != 1)) {
            long right = 0, trials = 0;
            for (int i = 0; i < s.length; i++) {
                right += (long) s[i];
                trials += (long) w[i];
            }
            return ConfidenceInterval.wilson95(right, trials);
        }
        return ConfidenceInterval.mean95(s);
    }
}
