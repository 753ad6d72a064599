package minitron4j.benchmarks;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;

import java.util.SplittableRandom;

/**
 * One cross-entropy training step (forward, loss, backward into a zeroed gradient pool) of a random
 * Nemotron model on random token ids: what {@link TrainingStepBenchmark} and {@link SpeedTable} time.
 * The model is written hidden x layers x ffn x vocab (head_dim 64 when hidden >= 384, else 32; KV
 * heads half the heads), the batch B x T.
 */
final class CeTrainingStep {
    /** The demo's teacher: hidden 256, 4 layers, 8/4 heads of 32, ffn 1024, vocab 2048. */
    static final String DEMO_TEACHER = "256x4x1024x2048";

    private final Nemotron net;
    private final Parameters grads;
    private final Activations acts;
    private final Batch tokens;
    /** 3 x the forward's matmul and attention FLOPs, as the trainer counts a step. */
    final double flops;

    CeTrainingStep(String model, String batch) {
        String[] m = model.split("x"), bt = batch.split("x");
        int hidden = Integer.parseInt(m[0]), layers = Integer.parseInt(m[1]), ffn = Integer.parseInt(m[2]),
                vocab = Integer.parseInt(m[3]), b = Integer.parseInt(bt[0]), t = Integer.parseInt(bt[1]);
        int headDim = hidden >= 384 ? 64 : 32, heads = hidden / headDim;
        NemotronConfig c = NemotronConfig.of(vocab, hidden, ffn, layers, heads, Math.max(1, heads / 2), headDim, false);
        net = new Nemotron(Parameters.initialize(c, 1));
        grads = Parameters.zeros(c);
        acts = net.trainingActivations(b, t);
        int[] ids = new int[b * t];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(vocab);
        tokens = Batch.of(ids, b, t);
        flops = 3 * Nemotron.forwardFlops(c, b, t);
    }

    /** One step; returns the loss. */
    double run() {
        grads.zero();
        return net.crossEntropyStep(tokens, acts, grads, 1f);
    }

    int tokens() {
        return tokens.tokens();
    }
}
