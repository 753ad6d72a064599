package minitron4j.experiments.cli;

import minitron4j.model.Batch;
import minitron4j.model.io.BatchFiles;
import minitron4j.model.Parameters;
import minitron4j.model.MemoryCheck;
import minitron4j.model.io.Checkpoint;
import minitron4j.pruning.Aggregation;
import minitron4j.pruning.Calibration;
import minitron4j.pruning.HeadStatistic;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.NeuronActivation;
import minitron4j.pruning.Pruning;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Activation-based importance of every embedding channel, head, neuron and layer (Minitron, P1 §2). */
@Command(name = "importance", description = "Score channels, heads, neurons and layers from calibration forward passes.")
final class ImportanceCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--input", description = "safetensors with input_ids [B,T] (optional attention_mask)")
        Path input;
        @Option(names = "--data", description = "data folder: calibration windows drawn from train.bin by --seed")
        Path data;
    }

    @Option(names = "--samples", defaultValue = "64", description = "calibration windows (with --data)")
    int samples;
    @Option(names = "--seq-len", defaultValue = "256", description = "window length (with --data)")
    int seqLen;
    @Option(names = "--batch", defaultValue = "8", description = "windows per forward pass (with --data)")
    int batch;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--batch-agg", defaultValue = "l2", description = "l2 | mean | var")
    String batchAgg;
    @Option(names = "--seq-agg", defaultValue = "mean", description = "mean | l2 | var")
    String seqAgg;
    @Option(names = "--neuron", defaultValue = "pre", description = "pre | post activation")
    String neuron;
    @Option(names = "--head", defaultValue = "per-token", description = "per-token | per-channel")
    String head;
    @Option(names = "--depth-loss", description = "also score layers by the CE increase when each is skipped")
    boolean depthLoss;
    @Option(names = "--out", required = true, description = "SCORES.json")
    Path out;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        Parameters params = Checkpoint.load(model, backend.backend().weightStorage()).params();
        int perPass = batch;
        // The calibration batch is sized to the memory: the statistics are sums over windows, so
        // fewer windows per forward pass change nothing but the time.
        while (source.data != null && perPass > 1 && !MemoryCheck.of("importance").weights(params)
                .activations(params.config(), perPass, seqLen, false, 0).fits())
            perPass = (perPass + 1) / 2;
        if (perPass != batch) System.err.printf("importance: %d windows per forward pass fit in memory (--batch %d asked)%n", perPass, batch);
        List<Batch> batches = source.input != null ? List.of(BatchFiles.read(source.input))
                : Calibration.windows(source.data, samples, seqLen, perPass, seed);
        int largest = batches.stream().mapToInt(Batch::batch).max().orElse(1), seq = batches.stream().mapToInt(Batch::seq).max().orElse(1);
        MemoryCheck.of("importance").weights(params).activations(params.config(), largest, seq, false, 0)
                .remedy("a smaller --batch (windows per forward pass; the statistics are the same)").check();
        ImportanceOptions options = ImportanceOptions.defaults()
                .withAggregations(Aggregation.parse(seqAgg), Aggregation.parse(batchAgg))
                .withNeuron(NeuronActivation.parse(neuron)).withHead(HeadStatistic.parse(head))
                .withDepthLoss(depthLoss)
                .withSource(model.toString(), source.data != null ? seed : null);
        ImportanceScores scores = Pruning.importance(backend.backend(), params, batches, options);
        scores.write(out);
        System.err.println("wrote " + out + " (" + batches.size() + " calibration batches)");
        return 0;
    }
}
