package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.distillation.ArchitectureSearch;
import minitron4j.distillation.DistillOptions;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.kernels.Parallel;
import minitron4j.model.NemotronConfig;
import minitron4j.pruning.ImportanceScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Minitron's architecture search: every shape of a grid within 5% of a parameter budget is pruned
 * from the teacher by importance, briefly distilled and ranked by held-out loss; the best continues.
 */
@Command(name = "search", description = "Prune candidate shapes near a parameter budget, distil each briefly, rank, continue the best.")
final class SearchCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true)
    Path teacher;
    @Option(names = "--data", required = true)
    Path data;
    @Option(names = "--scores", required = true, description = "SCORES.json of the teacher (from `importance`)")
    Path scores;
    @Option(names = "--budget", required = true, description = "target parameter count (candidates within +-5%%)")
    long budget;
    @Option(names = "--fractions", split = ",", defaultValue = "0.5,0.625,0.75,0.875,1",
            description = "widths tried, as fractions of the teacher's hidden and ffn sizes")
    List<Double> fractions;
    @Option(names = "--multiple", defaultValue = "32", description = "widths are rounded to a multiple of this")
    int multiple;
    @Option(names = "--short-steps", defaultValue = "400", description = "distillation steps per candidate (P1: ~400)")
    int shortSteps;
    @Option(names = "--full-steps", defaultValue = "0", description = "steps to continue the best candidate (0 = none)")
    int fullSteps;
    @Option(names = "--batch", defaultValue = "8")
    int batch;
    @Option(names = "--seq-len", defaultValue = "256")
    int seqLen;
    @Option(names = "--out", required = true)
    Path out;
    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        NemotronConfig t = NemotronConfig.load(teacher);
        ArchitectureSearch.Grid grid = ArchitectureSearch.Grid.around(t, fractions, multiple);
        DistillOptions shortRun = DistillOptions.defaults(shortSteps).withShape(batch, seqLen).withThreads(Parallel.threads());
        DistillOptions fullRun = fullSteps > 0
                ? DistillOptions.defaults(fullSteps).withShape(batch, seqLen).withThreads(Parallel.threads()) : null;
        ArchitectureSearch.Outcome o = ArchitectureSearch.search(teacher, data, budget, grid, ImportanceScores.read(scores),
                shortRun, fullRun, out);
        MarkdownTable table = new MarkdownTable("rank", "shape", "parameters", "val CE pruned", "val CE distilled", "val KD");
        ObjectNode json = JsonOutput.object();
        ArrayNode rows = json.putArray("ranking");
        for (ArchitectureSearch.Result r : o.ranking()) {
            table.row(r.rank(), r.shape().label(), String.format(Locale.ROOT, "%,d", r.parameters()),
                    MarkdownTable.number(r.prunedValCeLoss(), 4), MarkdownTable.number(r.valCeLoss(), 4),
                    MarkdownTable.number(r.valKdLoss(), 4));
            rows.addObject().put("rank", r.rank()).put("shape", r.shape().label()).put("parameters", r.parameters())
                    .put("val_ce_loss", r.valCeLoss()).put("val_kd_loss", r.valKdLoss()).put("run", r.run().toString());
        }
        if (o.best() != null) json.put("best", o.best().toString());
        System.err.print(table);
        JsonOutput.print(json);
        return 0;
    }
}
