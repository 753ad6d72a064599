package minitron4j.model.backend;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.KvCache;
import minitron4j.model.Nemotron;

/**
 * The CPU decoder: the model's forward pass through a {@link KvCache} of one sequence, with one
 * activation set for the prompt (resized when a longer block comes) and one for single tokens.
 */
public final class CpuDecoder implements Backend.Decoder {
    private final Nemotron model;
    private final KvCache cache;
    private Activations block, single;
    private int length;

    public CpuDecoder(Nemotron model, int maxSeq) {
        this.model = model;
        this.cache = new KvCache(model.config(), 1, maxSeq);
    }

    @Override
    public float[] append(int[] tokens) {
        Backend.Decoder.checkRoom(length, cache.capacity(), tokens.length);
        Activations acts;
        if (tokens.length == 1) {
            if (single == null) single = model.decodeActivations(1);
            acts = single;
        } else {
            if (block == null || block.seq() != tokens.length) block = model.decodeActivations(tokens.length);
            acts = block;
        }
        model.forward(Batch.of(tokens, 1, tokens.length), acts, cache, length);
        length += tokens.length;
        return acts.logits();
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return cache.capacity();
    }

    @Override
    public void close() {
        block = single = null;
    }
}
