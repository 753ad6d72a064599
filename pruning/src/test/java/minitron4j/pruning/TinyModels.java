package minitron4j.pruning;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/** Tiny random Nemotron models and padded batches for the pruning tests. */
final class TinyModels {
    private TinyModels() {}

    static final int VOCAB = 41;

    /** 4 heads in 2 KV groups, head_dim 8 so nh*hd = 32 != hidden 16; untied lm_head. */
    static NemotronConfig gqa() {
        return NemotronConfig.of(VOCAB, 16, 24, 3, 4, 2, 8, false);
    }

    /** Plain multi-head attention: every head has its own K and V. */
    static NemotronConfig mha() {
        return NemotronConfig.of(VOCAB, 16, 24, 3, 4, 4, 8, false);
    }

    /** One KV head for all 4 query heads, tied embeddings. */
    static NemotronConfig mqaTied() {
        return NemotronConfig.of(VOCAB, 16, 24, 2, 4, 1, 8, true);
    }

    /** Random weights large enough that attention is far from uniform, and non-trivial norm weights and biases. */
    static Parameters parameters(NemotronConfig c, long seed) {
        Parameters p = Parameters.initialize(c, seed);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (Tensor t : p.tensors()) {
            float[] d = t.data();
            if (t.name().contains("norm")) for (int i = 0; i < d.length; i++) d[i] = (float) (r.nextDouble() - 0.5) * 0.4f;
            else for (int i = 0; i < d.length; i++) d[i] *= 10;
        }
        return p;
    }

    /** Two batches of different shapes with right padding (one sample of length 1 predicts nothing). */
    static List<Batch> batches(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return List.of(batch(r, 2, 7, new int[]{7, 4}), batch(r, 3, 5, new int[]{5, 1, 3}));
    }

    static Batch batch(SplittableRandom r, int b, int t, int[] lengths) {
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(VOCAB);
        return new Batch(ids, b, t, lengths);
    }

    static float[] logits(Parameters p, Batch batch) {
        Nemotron model = new Nemotron(p);
        Activations acts = model.inferenceActivations(batch.batch(), batch.seq());
        model.forward(batch, acts, null);
        return acts.logits().clone();
    }

    /** Largest |a - b| over the real positions of the batch. */
    static double maxDifference(float[] a, float[] b, Batch batch, int vocab) {
        double max = 0;
        for (int bi = 0; bi < batch.batch(); bi++)
            for (int t = 0; t < batch.length(bi); t++)
                for (int v = 0; v < vocab; v++) {
                    int i = (bi * batch.seq() + t) * vocab + v;
                    max = Math.max(max, Math.abs(a[i] - b[i]));
                }
        return max;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }
}
