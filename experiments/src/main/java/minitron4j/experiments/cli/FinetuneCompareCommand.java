package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.study.FinetuneComparison;
import minitron4j.training.TrainOptions;
import minitron4j.training.task.FinetuneSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** One labeled task fine-tuned from several models and seeds, with a report of the held-out metric and its intervals. */
@Command(name = "finetune-compare", description = "Fine-tune the same task from several models (--model NAME=DIR ...) over seeds; write report.md with intervals.")
final class FinetuneCompareCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "NAME=DIR of a starting model (repeatable; the first is the baseline of the paired differences)")
    List<String> models;
    @Option(names = "--task", required = true, description = "sequence-classification | question-answering | token-classification")
    String task;
    @Option(names = "--data", required = true, description = "labeled JSONL for training")
    Path data;
    @Option(names = "--val", required = true, description = "held-out labeled JSONL")
    Path val;
    @Option(names = "--out", required = true, description = "folder for the runs and report.md")
    Path out;
    @Option(names = "--seeds", defaultValue = "0,1,2", split = ",", description = "fine-tuning seeds (default ${DEFAULT-VALUE})")
    List<Long> seeds;
    @Mixin
    FinetuneOptions training;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        List<FinetuneComparison.Source> sources = new ArrayList<>();
        for (String m : models) {
            int eq = m.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--model takes NAME=DIR, got " + m);
            sources.add(new FinetuneComparison.Source(m.substring(0, eq), Path.of(m.substring(eq + 1))));
        }
        FinetuneSpec template = training.spec(task, sources.getFirst().model(), data, val, 0, threads.given());
        Path report = FinetuneComparison.run(sources, seeds, template, out,
                TrainOptions.defaults().withBackend(backend.backend()).withProgressBar(false));
        ObjectNode o = JsonOutput.object();
        o.put("report", report.toString());
        JsonOutput.print(o);
        return 0;
    }
}
