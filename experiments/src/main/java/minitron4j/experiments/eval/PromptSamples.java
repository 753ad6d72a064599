package minitron4j.experiments.eval;

import minitron4j.model.backend.Generator;
import minitron4j.model.backend.Backend;
import minitron4j.model.Sampler;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fixed prompts continued greedily or by sampling, for eyeballing what a model has learned and for
 * comparing a teacher with its students on the same prompts. The prompt starts with the same
 * document-start token as scored items ({@link LoglikelihoodScorer#documentStart}); generation stops
 * at EOS.
 */
public final class PromptSamples {
    /** Openings in the styles of the built-in corpora: the addresses, the held-out novel, and plain prose. */
    public static final List<String> DEFAULT_PROMPTS = List.of(
            "Fellow-Citizens of the Senate and House of Representatives:",
            "The state of the Union is",
            "Call me Ishmael.",
            "The whale",
            "In the beginning");

    public record Sample(String prompt, String continuation, int newTokens) {
    }

    private PromptSamples() {
    }

    /** Greedy continuations. */
    public static List<Sample> generate(Backend.Session session, Tokenizer tokenizer, List<String> prompts, int maxNewTokens) {
        return generate(session, tokenizer, prompts, maxNewTokens, Sampler.greedy());
    }

    /** Continuations drawn by sampler (one sampler for all prompts, in order: seeded samplers repeat). */
    public static List<Sample> generate(Backend.Session session, Tokenizer tokenizer, List<String> prompts, int maxNewTokens,
                                        Sampler sampler) {
        Generator generator = new Generator(session);
        int eos = tokenizer.eosId().orElse(-1);
        List<Sample> out = new ArrayList<>();
        for (String prompt : prompts) {
            int[] text = tokenizer.encodeNoSpecial(prompt);
            Generator.Output o = generator.generate(LoglikelihoodScorer.withDocumentStart(tokenizer, text), maxNewTokens,
                    sampler, eos, null);
            int[] generated = Arrays.copyOfRange(o.ids(), o.promptLength(), o.ids().length);
            out.add(new Sample(prompt, continuation(tokenizer, text, generated), generated.length));
        }
        return out;
    }

    /**
     * The share of word 3-grams of the continuations that repeat one seen earlier in the same
     * continuation: 0 for text that never loops, near 1 for "the United States, and the United
     * States, and ..."; NaN when no continuation has three words.
     */
    public static double repeatedTrigramShare(List<Sample> samples) {
        long trigrams = 0, repeats = 0;
        for (Sample s : samples) {
            String[] words = s.continuation().strip().split("\\s+");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i + 2 < words.length; i++) {
                trigrams++;
                if (!seen.add(words[i] + ' ' + words[i + 1] + ' ' + words[i + 2])) repeats++;
            }
        }
        return trigrams == 0 ? Double.NaN : (double) repeats / trigrams;
    }

    /**
     * The text the new ids add to the prompt: decoded together with the prompt and cut after it,
     * because decoding them alone loses a leading space under SentencePiece-style decoders.
     */
    private static String continuation(Tokenizer tokenizer, int[] prompt, int[] generated) {
        int[] all = Arrays.copyOf(prompt, prompt.length + generated.length);
        System.arraycopy(generated, 0, all, prompt.length, generated.length);
        String full = tokenizer.decode(all, true), head = tokenizer.decode(prompt, true);
        return full.startsWith(head) ? full.substring(head.length()) : tokenizer.decode(generated, true);
    }
}
