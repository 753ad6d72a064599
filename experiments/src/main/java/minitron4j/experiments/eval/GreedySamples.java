package minitron4j.experiments.eval;

import minitron4j.model.backend.Generator;
import minitron4j.model.backend.Backend;
import minitron4j.model.Sampler;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fixed prompts continued greedily, for eyeballing what a model has learned and for comparing a
 * teacher with its students on the same prompts. The prompt starts with the same document-start
 * token as scored items ({@link LoglikelihoodScorer#documentStart}); generation stops at EOS.
 */
public final class GreedySamples {
    /** Openings in the styles of the built-in corpora: the addresses, the held-out novel, and plain prose. */
    public static final List<String> DEFAULT_PROMPTS = List.of(
            "Fellow-Citizens of the Senate and House of Representatives:",
            "The state of the Union is",
            "Call me Ishmael.",
            "The whale",
            "In the beginning");

    public record Sample(String prompt, String continuation, int newTokens) {
    }

    private GreedySamples() {
    }

    public static List<Sample> generate(Backend.Session session, Tokenizer tokenizer, List<String> prompts, int maxNewTokens) {
        Generator generator = new Generator(session);
        int eos = tokenizer.eosId().orElse(-1);
        List<Sample> out = new ArrayList<>();
        for (String prompt : prompts) {
            int[] text = tokenizer.encodeNoSpecial(prompt);
            Generator.Output o = generator.generate(LoglikelihoodScorer.withDocumentStart(tokenizer, text), maxNewTokens,
                    Sampler.greedy(), eos, null);
            int[] generated = Arrays.copyOfRange(o.ids(), o.promptLength(), o.ids().length);
            out.add(new Sample(prompt, continuation(tokenizer, text, generated), generated.length));
        }
        return out;
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
