package minitron4j.experiments.cli;

import minitron4j.pruning.Pruning;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Cuts a model down to a target shape by importance scores (or at random) and writes an HF checkpoint. */
@Command(name = "prune", description = "Trim heads, neurons, embedding channels and layers; write config.json + safetensors + pruning.json.")
final class PruneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--scores", description = "SCORES.json from `importance` (not with --random)")
    Path scores;
    @Option(names = "--hidden-size")
    Integer hiddenSize;
    @Option(names = "--num-attention-heads")
    Integer heads;
    @Option(names = "--intermediate-size")
    Integer ffn;
    @Option(names = "--num-layers", description = "keep this many layers, dropping the lowest-scored")
    Integer numLayers;
    @Option(names = "--drop-layers", split = ",", description = "drop exactly these 0-based layers")
    int[] dropLayers;
    @Option(names = "--drop-block", description = "keep this many layers, dropping one contiguous block")
    Integer dropBlock;
    @Option(names = "--depth-score", defaultValue = "layers", description = "layers (Block Importance) | layers_loss")
    String depthScore;
    @Option(names = "--fold-heads", description = "experimental: fold pruned heads into kept ones (P1's residual info)")
    boolean foldHeads;
    @Option(names = "--random", description = "choose units at random (the baseline); needs --seed, no --scores")
    boolean random;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--dtype", description = "bf16, f16 or f32 (default: keep the source dtype)")
    String dtype;
    @Option(names = "--out", required = true)
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!random && scores == null) throw new IllegalArgumentException("give --scores SCORES.json, or --random --seed S");
        PruningTarget target = new PruningTarget(hiddenSize, heads, ffn, numLayers, dropLayers, dropBlock);
        PruningOptions options = PruningOptions.defaults().withFoldHeads(foldHeads)
                .withRandomSeed(random ? seed : null).withDepthScore(PruningOptions.DepthScore.parse(depthScore));
        PruningPlan plan = Pruning.prune(model, scores, target, options, out,
                dtype == null ? null : DtypeOption.parse(dtype));
        var c = plan.prunedConfig();
        System.err.printf("wrote %s: hidden %d, heads %d (KV %d), ffn %d, layers %d, %,d parameters%n", out,
                c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(), c.intermediateSize(),
                c.numHiddenLayers(), c.parameterCount());
        return 0;
    }
}
