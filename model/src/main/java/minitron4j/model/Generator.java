package minitron4j.model;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Autoregressive generation with a KV cache: one prefill of the prompt, then one token per step. */
public final class Generator {
    private final Nemotron model;

    public Generator(Nemotron model) {
        this.model = model;
    }

    /** Result of a generation: prompt + new ids, and the decode speed. */
    public record Output(int[] ids, int promptLength, double prefillSeconds, double decodeSeconds) {
        public int newTokens() {
            return ids.length - promptLength;
        }

        public double decodeTokensPerSecond() {
            return newTokens() <= 1 ? 0 : (newTokens() - 1) / decodeSeconds;
        }
    }

    /**
     * Continues prompt by up to maxNew tokens; stops after eosId unless eosId < 0. onToken sees each
     * new id as it is produced.
     */
    public Output generate(int[] prompt, int maxNew, Sampler sampler, int eosId, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: give at least one token");
        NemotronConfig c = model.config();
        int total = Math.min(prompt.length + maxNew, c.maxPositionEmbeddings());
        KvCache cache = new KvCache(c, 1, total);
        int[] ids = Arrays.copyOf(prompt, total);
        int len = prompt.length;
        long t0 = System.nanoTime();
        Activations prefill = new Activations(c, 1, prompt.length, false, true);
        float[] logits = step(Batch.of(prompt, 1, prompt.length), prefill, cache, 0);
        long t1 = System.nanoTime();
        Activations decode = new Activations(c, 1, 1, false, true);
        while (len < total) {
            int next = sampler.next(logits, 0, c.vocabSize());
            ids[len++] = next;
            if (onToken != null) onToken.accept(next);
            if (next == eosId || len == total) break;
            logits = step(Batch.of(new int[]{next}, 1, 1), decode, cache, len - 1);
        }
        long t2 = System.nanoTime();
        return new Output(Arrays.copyOf(ids, len), prompt.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** Forward of new tokens at positions start.. through the cache; returns each row's last logits [B, V]. */
    private float[] step(Batch batch, Activations acts, KvCache cache, int start) {
        model.run(batch, acts, cache, start, null);
        return acts.logits();
    }
}
