package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.experiments.report.MarkdownTable;
import minitron4j.pruning.ModelComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Models side by side: parameters, held-out loss, perplexity and forward speed. */
@Command(name = "compare", description = "Parameters, validation loss, perplexity and forward tokens/s of several models.")
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--models", required = true, split = ",", description = "model folders, comma separated")
    List<Path> models;
    @Option(names = "--data", required = true, description = "data folder (its val.bin)")
    Path data;
    @Option(names = "--seq-len", description = "window length (default: the smallest max_position_embeddings, at most 1024)")
    Integer seqLen;
    @Option(names = "--batch", defaultValue = "8")
    int batch;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        List<ModelComparison.Row> rows = ModelComparison.compare(models, data, seqLen, batch, backend.backend());
        MarkdownTable table = new MarkdownTable("model", "parameters", "val CE", "perplexity", "forward tokens/s");
        ObjectNode o = JsonOutput.object();
        ArrayNode arr = o.putArray("models");
        for (ModelComparison.Row r : rows) {
            table.row(r.model(), String.format(Locale.ROOT, "%,d", r.parameters()), MarkdownTable.number(r.valLoss(), 4),
                    MarkdownTable.number(r.perplexity(), 2), MarkdownTable.number(r.forwardTokensPerSecond(), 0));
            arr.addObject().put("model", r.model()).put("parameters", r.parameters()).put("val_ce_loss", r.valLoss())
                    .put("val_ppl", r.perplexity()).put("forward_tokens_per_s", r.forwardTokensPerSecond());
        }
        System.err.print(table);
        JsonOutput.print(o);
        return 0;
    }
}
