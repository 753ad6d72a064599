package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** A model folder at a glance: its config, parameter count and tensor table. */
@Command(name = "info", description = "Print the config, parameter count and tensor table of a model.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Checkpoint.LoadedModel m = Checkpoint.load(model);
        NemotronConfig c = m.config();
        long params = m.params().count();
        if (json) {
            ObjectNode o = JsonOutput.object();
            o.set("config", c.toJson());
            o.put("parameters", params);
            var tensors = o.putObject("tensors");
            for (Tensor t : m.params().tensors()) {
                var shape = tensors.putArray(t.name());
                for (int d : t.shape()) shape.add(d);
            }
            JsonOutput.print(o);
            return 0;
        }
        System.out.println(JsonOutput.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c.toJson()));
        System.out.printf("parameters: %,d (%.2f M)%n", params, params / 1e6);
        System.out.printf("layers %d, hidden %d, heads %d (KV %d, head_dim %d, rotary %d), ffn %d, vocab %d, tied %b%n",
                c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(),
                c.rotaryDim(), c.intermediateSize(), c.vocabSize(), c.tieWordEmbeddings());
        for (Tensor t : m.params().tensors())
            System.out.printf("  %-52s %-16s %,14d%n", t.name(), t.shapeString(), t.size());
        return 0;
    }
}
