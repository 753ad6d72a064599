package minitron4j.experiments.cli;

import minitron4j.experiments.study.StudyReport;
import minitron4j.experiments.study.StudyRunner;
import minitron4j.experiments.study.StudySpec;
import minitron4j.training.Corpora;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;

/**
 * The main job: the built-in Minitron study (teacher -> importance -> prune -> distill -> evaluate
 * -> compare) on real text, or a study from a spec file.
 */
@Command(name = "demo", aliases = "study", description = "Run the built-in Minitron study (or --spec FILE) and write its report.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--full", description = "the larger version of the study (hours on 2 cores)")
    boolean full;
    @Option(names = "--spec", description = "a study spec (YAML or JSON); fields left out take the demo's values")
    Path specFile;
    @Option(names = "--out", description = "run folder (default: runs/<name>-<time>)")
    Path out;
    @Option(names = "--cache", description = "where data and trained teachers are cached (default: $MINITRON4J_CACHE or ~/.cache/minitron4j)")
    Path cache;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        StudySpec spec = specFile != null ? StudySpec.load(specFile) : full ? StudySpec.full() : StudySpec.demo();
        Path dir = out != null ? out : Path.of("runs", spec.name() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path cacheDir = cache != null ? cache : Corpora.cacheRoot().resolve("studies");
        long t0 = System.nanoTime();
        StudyReport.Inputs results = new StudyRunner(spec, dir, cacheDir, backend.backend()).run();
        Path report = StudyReport.write(results, backend.backend());
        System.err.printf("study finished in %.1f min; report: %s%n", (System.nanoTime() - t0) / 60e9, report);
        var o = JsonOutput.object();
        o.put("report", report.toString());
        o.put("run", dir.toString());
        JsonOutput.print(o);
        return 0;
    }
}
