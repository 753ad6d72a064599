package minitron4j.training;

/**
 * How the {@link TrainingLoop} runs: {@code steps} optimizer steps, each over {@code gradAccum}
 * micro-batches of [batch, seqLen]; gradients clipped to global norm {@code clip} (0 = off);
 * validation every {@code evalInterval} steps (0 = never); a checkpoint every
 * {@code checkpointInterval} steps (0 = only at the end). The last step always gets both.
 */
public record LoopSettings(int steps, int batch, int seqLen, int gradAccum, double clip, int evalInterval,
                           int checkpointInterval) {
    public LoopSettings {
        positive("steps", steps);
        positive("batch", batch);
        positive("grad_accum", gradAccum);
        if (seqLen < 2) throw new IllegalArgumentException("seq_len must be >= 2, got " + seqLen);
        if (!(clip >= 0)) throw new IllegalArgumentException("clip must be >= 0 (0 turns clipping off), got " + clip);
        if (evalInterval < 0) throw new IllegalArgumentException("eval_interval must be >= 0, got " + evalInterval);
        if (checkpointInterval < 0)
            throw new IllegalArgumentException("checkpoint_interval must be >= 0, got " + checkpointInterval);
    }

    private static void positive(String field, int v) {
        if (v < 1) throw new IllegalArgumentException(field + " must be >= 1, got " + v);
    }

    /** Tokens one optimizer step consumes. */
    public long tokensPerStep() {
        return (long) batch * seqLen * gradAccum;
    }
}
