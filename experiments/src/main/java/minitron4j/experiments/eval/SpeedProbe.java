package minitron4j.experiments.eval;

import minitron4j.model.Batch;
import minitron4j.model.backend.Generator;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;
import minitron4j.model.Sampler;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Inference speed of a model on this machine: forward (prefill) tokens/s of a [B, T] batch, and
 * decode tokens/s of KV-cache generation from a prompt. Each is measured repeats times after one
 * untimed warm-up (JIT compilation, buffer allocation) and reported as the median, which a stray
 * GC pause or a busy neighbour moves less than the mean. Token ids are random (seeded): speed does
 * not depend on them.
 */
public final class SpeedProbe {

    /** What to measure: prefill of batch x seq tokens; decode of decodeTokens after a prompt of promptLength. */
    public record Settings(int batch, int seq, int promptLength, int decodeTokens, int repeats, long seed) {
        public Settings {
            if (batch < 1 || seq < 1 || promptLength < 1 || decodeTokens < 2 || repeats < 1)
                throw new IllegalArgumentException("speed probe needs batch, seq, prompt >= 1, decode tokens >= 2 and repeats >= 1, got "
                        + batch + ", " + seq + ", " + promptLength + ", " + decodeTokens + ", " + repeats);
        }

        /** A probe sized for a model: 4 x min(256, max positions) prefill, 64 decoded tokens after 32, 5 repeats. */
        public static Settings defaults(NemotronConfig config) {
            int max = config.maxPositionEmbeddings();
            int prompt = Math.min(32, max / 2);
            return new Settings(4, Math.min(256, max), prompt, Math.min(64, max - prompt), 5, 0);
        }
    }

    /** Medians (tokens/s) and every timed sample. */
    public record Result(Settings settings, double forwardTokensPerSecond, double decodeTokensPerSecond,
                         double[] forwardSamples, double[] decodeSamples) {
    }

    private SpeedProbe() {
    }

    /** Forward and decode speed of the model a session holds, on its backend. */
    public static Result measure(Backend.Session session, Settings s) {
        int max = session.config().maxPositionEmbeddings(), vocab = session.config().vocabSize();
        if (s.seq() > max || s.promptLength() + s.decodeTokens() > max)
            throw new IllegalArgumentException("speed probe lengths exceed max_position_embeddings " + max + ": seq " + s.seq()
                    + ", prompt + decode " + (s.promptLength() + s.decodeTokens()));
        SplittableRandom random = new SplittableRandom(s.seed());
        Batch batch = Batch.of(random.ints(s.batch() * s.seq(), 0, vocab).toArray(), s.batch(), s.seq());
        double[] forward = new double[s.repeats()];
        session.forward(batch);
        for (int r = 0; r < s.repeats(); r++) {
            long t0 = System.nanoTime();
            session.forward(batch);
            forward[r] = batch.tokens() / ((System.nanoTime() - t0) / 1e9);
        }
        Generator generator = new Generator(session);
        int[] prompt = random.ints(s.promptLength(), 0, vocab).toArray();
        double[] decode = new double[s.repeats()];
        generator.generate(prompt, s.decodeTokens(), Sampler.greedy(), -1, null);
        for (int r = 0; r < s.repeats(); r++)
            decode[r] = generator.generate(prompt, s.decodeTokens(), Sampler.greedy(), -1, null).decodeTokensPerSecond();
        return new Result(s, median(forward), median(decode), forward, decode);
    }

    /** The median of values (the mean of the middle two for an even count). */
    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
