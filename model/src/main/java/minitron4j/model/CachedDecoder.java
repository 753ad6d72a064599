package minitron4j.model;

import minitron4j.model.backend.Backend;

/**
 * The CPU decoder: the model's forward pass through a {@link KvCache} of one sequence, with one
 * activation set for the prompt (resized when a longer block comes) and one for single tokens.
 */
public final class CachedDecoder implements Backend.Decoder {
    private final Nemotron model;
    private final KvCache cache;
    private Activations block, single;
    private int length;

    public CachedDecoder(Nemotron model, int maxSeq) {
        this.model = model;
        this.cache = new KvCache(model.config(), 1, maxSeq);
    }

    @Override
    public float[] append(int[] tokens) {
        Backend.Decoder.checkRoom(length, cache.capacity(), tokens.length);
        Activations acts;
        if (tokens.length == 1) {
            if (single == null) single = new Activations(model.config(), 1, 1, false, true);
            acts = single;
        } else {
            if (block == null || block.seq() != tokens.length) block = new Activations(model.config(), 1, tokens.length, false, true);
            acts = block;
        }
        model.run(Batch.of(tokens, 1, tokens.length), acts, cache, length, null);
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
