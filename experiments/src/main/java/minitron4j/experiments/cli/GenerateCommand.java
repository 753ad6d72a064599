package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.backend.Generator;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.MemoryCheck;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Text or ids continued by the model with a KV cache on the chosen backend ({@code --backend}): greedy,
 * or sampled with temperature/top-k/top-p.
 */
@Command(name = "generate", description = "Continue a prompt (greedy unless --temperature > 0).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "prompt text (needs tokenizer.json in the model folder)")
        String text;
        @Option(names = "--prompt-ids", description = "prompt token ids, comma separated")
        String ids;
    }

    @Option(names = "--max-new-tokens", required = true)
    int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "0")
    float temperature;
    @Option(names = "--top-k", defaultValue = "0")
    int topK;
    @Option(names = "--top-p", defaultValue = "1")
    float topP;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--ignore-eos", description = "keep going past the EOS token")
    boolean ignoreEos;
    @Option(names = "--json", description = "print {\"ids\":[...],\"text\":...} as the last stdout line")
    boolean json;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 0) throw new IllegalArgumentException("--max-new-tokens must be >= 0");
        Backend engine = backend.backend();
        Checkpoint.LoadedModel loaded = Checkpoint.load(model, engine.weightStorage());
        Path tokFile = model.resolve("tokenizer.json");
        Tokenizer tok = Files.isRegularFile(tokFile) ? HfTokenizer.load(tokFile) : null;
        int[] promptIds;
        if (prompt.text != null) {
            if (tok == null) throw new IllegalArgumentException(model + " has no tokenizer.json: use --prompt-ids");
            promptIds = tok.encode(prompt.text);
        } else {
            promptIds = JsonOutput.parseIds(prompt.ids, "--prompt-ids");
        }
        int eos = ignoreEos ? -1 : eosId(model, loaded.config().eosTokenId());
        MemoryCheck.of("generate").weights(loaded.params())
                .kvCache(loaded.config(), (int) Math.min((long) promptIds.length + maxNewTokens, loaded.config().maxPositionEmbeddings()))
                .activations(loaded.config(), 1, promptIds.length, false, 1).remedy("a smaller --max-new-tokens").check();
        Sampler sampler = new Sampler(temperature, topK, topP, seed);
        Generator.Output out;
        try (Backend.Session session = engine.open(loaded.params())) {
            out = new Generator(session).generate(promptIds, maxNewTokens, sampler, eos, null);
        }
        System.err.printf("%d new tokens, prefill %.1f ms, decode %.2f tokens/s%n", out.newTokens(),
                out.prefillSeconds() * 1e3, out.decodeTokensPerSecond());
        if (out.stoppedAtContextLimit())
            System.err.printf("generate: stopped at max_position_embeddings %d after %d new tokens (--max-new-tokens %d)%n",
                    loaded.config().maxPositionEmbeddings(), out.newTokens(), maxNewTokens);
        String text = tok == null ? null : tok.decode(out.ids(), true);
        if (json) {
            ObjectNode o = JsonOutput.object();
            var arr = o.putArray("ids");
            for (int id : out.ids()) arr.add(id);
            if (text != null) o.put("text", text);
            JsonOutput.print(o);
        } else {
            System.out.println(text != null ? text : java.util.Arrays.toString(out.ids()));
        }
        return 0;
    }

    /** EOS of generation_config.json (its first, when a list), else config.json's. */
    static int eosId(Path modelDir, int configEos) throws java.io.IOException {
        Path gen = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(gen)) return configEos;
        JsonNode e = JsonOutput.JSON.readTree(gen.toFile()).get("eos_token_id");
        if (e == null || e.isNull()) return configEos;
        if (e.isArray()) return e.isEmpty() ? configEos : e.get(0).asInt();
        return e.asInt();
    }
}
