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
    @Option(names = "--dtype", description = "bf16 or f32 (default: keep the source dtype)")
    String dtype;

    @Override
    public Integer call() throws Exception {
        Optional<Dtype> d = Optional.empty();
        if (dtype != null) {
            d = Optional.of(switch (dtype.toLowerCase()) {
                case "bf16", "bfloat16" -> Dtype.BF16;
                case "f32", "fp32", "float32" -> Dtype.F32;
                default -> throw new IllegalArgumentException("--dtype must be bf16 or f32, got " + dtype);
            });
        }
        Checkpoint.convert(model, out, d);
        System.err.println("wrote " + out);
        return 0;
    }
}
