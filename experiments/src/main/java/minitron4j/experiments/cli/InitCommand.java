package minitron4j.experiments.cli;

import minitron4j.experiments.bench.ReleasedShape;
import minitron4j.model.NemotronConfig;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** A random checkpoint of any shape, written tensor by tensor (a model larger than memory works). */
@Command(name = "init", description = "Write a randomly initialised HF checkpoint of CONFIG.json (HF's initialiser), sharded above 5 GB.")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "an HF config.json (NemotronForCausalLM), or a released"
            + " shape: minitron-4b, minitron-8b, nemotron-4-15b")
    String config;
    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16 (default), f16 or f32")
    String dtype;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--out", required = true)
    Path out;

    @Override
    public Integer call() throws Exception {
        Dtype d = DtypeOption.parse(dtype);
        ReleasedShape shape = Files.exists(Path.of(config)) ? null : ReleasedShape.find(config);
        NemotronConfig c = shape != null ? shape.config() : NemotronConfig.load(Path.of(config));
        Path folder = Path.of(config).toAbsolutePath().getParent();
        if (shape == null && Files.exists(out) && Files.isSameFile(out, folder))
            throw new IllegalArgumentException("--out " + out + " is the folder of --config " + config + "; choose another");
        long bytes = c.parameterCount() * d.bytes();
        System.err.printf("init: %,d parameters, %.2f GB in %s -> %s%n", c.parameterCount(), bytes / 1e9, d, out);
        long t0 = System.nanoTime();
        RandomCheckpoint.write(out, c, d, seed);
        System.err.printf("wrote %s in %.1f s%n", out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
