package minitron4j.experiments.cli;

import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Any supported checkpoint (safetensors, sharded, pytorch_model.bin) to safetensors. */
@Command(name = "convert", description = "Write a checkpoint as safetensors (sharded above 5 GB), copying tokenizer files.")
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--out", required = true)
    Path out;
    @Option(names = "--dtype", description = "bf16, f16 or f32 (default: keep the source dtype)")
    String dtype;

    @Override
    public Integer call() throws Exception {
        Optional<Dtype> d = Optional.ofNullable(dtype).map(DtypeOption::parse);
        Checkpoint.convert(model, out, d);
        System.err.println("wrote " + out);
        return 0;
    }
}
