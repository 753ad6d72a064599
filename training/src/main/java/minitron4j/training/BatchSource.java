package minitron4j.training;

import minitron4j.model.Batch;

/**
 * Where a training loop's micro-batches come from, reproducibly: the k-th batch is a function of
 * the source's seed and k, so the pair (seed, rows drawn) is the whole state a checkpoint keeps.
 */
public interface BatchSource {
    /** Positions per row of every batch. */
    int seqLen();

    /** The next batch of rows rows (its arrays may be reused by the next call). */
    Batch next(int rows);

    WindowSampler.State state();

    /** Continues from a saved state; the seed must be this source's. */
    void restore(WindowSampler.State state);
}
