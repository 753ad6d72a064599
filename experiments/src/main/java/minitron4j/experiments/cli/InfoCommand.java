package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.StreamingCheckpoint;
import minitron4j.model.io.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A model folder at a glance: its config, parameter count and tensor table. Safetensors checkpoints
 * are read through their headers only, so this takes milliseconds and no memory for any size.
 */
@Command(name = "info", description = "Print the config, parameter count and tensor table of a model (headers only).")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        NemotronConfig c;
        List<TensorInfo> tensors = new ArrayList<>();
        Dtype dtype;
        if (StreamingCheckpoint.canStream(model)) {
            try (StreamingCheckpoint ckpt = StreamingCheckpoint.open(model)) {
                c = ckpt.config();
                tensors.addAll(ckpt.tensors());
                dtype = ckpt.dtype();
            }
        } else { // a PyTorch .bin has no header to read alone
            Checkpoint.LoadedModel m = Checkpoint.load(model);
            c = m.config();
            dtype = m.dtype();
            for (Tensor t : m.params().tensors()) tensors.add(new TensorInfo(t.name(), m.dtype(), t.shape()));
        }
        long params = 0, bytes = 0;
        for (TensorInfo t : tensors) {
            params += t.numel();
            bytes += t.byteSize();
        }
        if (json) {
            ObjectNode o = JsonOutput.object();
            o.set("config", c.toJson());
            o.put("parameters", params);
            o.put("dtype", dtype.name());
            o.put("weight_bytes", bytes);
            var table = o.putObject("tensors");
            for (TensorInfo t : tensors) {
                var shape = table.putArray(t.name());
                for (int d : t.shape()) shape.add(d);
            }
            JsonOutput.print(o);
            return 0;
        }
        System.out.println(JsonOutput.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c.toJson()));
        System.out.printf("parameters: %,d (%.2f M), %s, %.2f GB of weights%n", params, params / 1e6, dtype, bytes / 1e9);
        System.out.printf("layers %d, hidden %d, heads %d (KV %d, head_dim %d, rotary %d), ffn %d, vocab %d, tied %b%n",
                c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(),
                c.rotaryDim(), c.intermediateSize(), c.vocabSize(), c.tieWordEmbeddings());
        for (TensorInfo t : tensors)
            System.out.printf("  %-52s %-5s %-16s %,14d%n", t.name(), t.dtype(), t.shapeString(), t.numel());
        return 0;
    }
}
