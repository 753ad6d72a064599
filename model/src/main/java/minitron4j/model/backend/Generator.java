package minitron4j.model.backend;

import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Sampler;

import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * Autoregressive generation with a KV cache: one prefill of the prompt, then one token per step,
 * on the CPU or through any backend's {@link Backend.Decoder}.
 */
public final class Generator {
    private final NemotronConfig config;
    private final IntFunction<Backend.Decoder> decoders;

    /** Generation on the CPU kernels. */
    public Generator(Nemotron model) {
        this(model.config(), maxSeq -> new CpuDecoder(model, maxSeq));
    }

    /** Generation on a backend session. */
    public Generator(Backend.Session session) {
        this(session.config(), session::decoder);
    }

    private Generator(NemotronConfig config, IntFunction<Backend.Decoder> decoders) {
        this.config = config;
        this.decoders = decoders;
    }

    /**
     * Result of a generation: prompt + new ids, the decode speed, and whether max_position_embeddings
     * stopped it before the asked number of new tokens (and before EOS).
     */
    public record Output(int[] ids, int promptLength, double prefillSeconds, double decodeSeconds, boolean stoppedAtContextLimit) {
        public int newTokens() {
            return ids.length - promptLength;
        }

        public double decodeTokensPerSecond() {
            return newTokens() <= 1 ? 0 : (newTokens() - 1) / decodeSeconds;
        }
    }

    /**
     * Continues prompt by up to maxNew tokens; stops after eosId unless eosId &lt; 0. onToken sees each
     * new id as it is produced.
     */
    public Output generate(int[] prompt, int maxNew, Sampler sampler, int eosId, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: give at least one token");
        if (maxNew < 0) throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNew);
        long asked = (long) prompt.length + maxNew; // in long: a huge maxNew must not wrap around
        int total = (int) Math.min(asked, config.maxPositionEmbeddings());
        if (prompt.length > total)
            throw new IllegalArgumentException("the prompt's " + prompt.length + " tokens exceed max_position_embeddings "
                    + config.maxPositionEmbeddings());
        int[] ids = Arrays.copyOf(prompt, total);
        int len = prompt.length;
        try (Backend.Decoder decoder = decoders.apply(total)) {
            long t0 = System.nanoTime();
            float[] logits = decoder.append(prompt);
            long t1 = System.nanoTime();
            int[] one = new int[1];
            while (len < total) {
                int next = sampler.next(logits, 0, config.vocabSize());
                ids[len++] = next;
                if (onToken != null) onToken.accept(next);
                if (next == eosId || len == total) break;
                one[0] = next;
                logits = decoder.append(one);
            }
            long t2 = System.nanoTime();
            boolean cut = len == total && total < asked && ids[len - 1] != eosId;
            return new Output(Arrays.copyOf(ids, len), prompt.length, (t1 - t0) / 1e9, (t2 - t1) / 1e9, cut);
        }
    }
}
