package minitron4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Sampler;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Generator;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.pruning.Calibration;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.Pruning;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;
import minitron4j.training.task.TaskInference;

/**
 * A checkpoint opened on a backend: its weights sit there (on a device, copied once) until
 * {@link #close}. Forward passes, generation, importance scoring and evaluation all run through the
 * backend's session.
 */
public final class OpenModel implements AutoCloseable {
    private final Path dir;
    private final Backend backend;
    private final Parameters params;
    private final Backend.Session session;
    private Tokenizer tokenizer;

    private OpenModel(Path dir, Backend backend, Parameters params) {
        this.dir = dir;
        this.backend = backend;
        this.params = params;
        this.session = backend.open(params);
    }

    static OpenModel open(Path dir, Backend backend) throws IOException {
        return new OpenModel(dir, backend, Checkpoint.load(dir, backend.weightStorage()).params());
    }

    /** The model's config.json. */
    public NemotronConfig config() {
        return params.config();
    }

    /** The backend the model runs on. */
    public Backend backend() {
        return backend;
    }

    /** The logits [T, V] that follow each of the token ids (one sequence). */
    public float[] logits(int... ids) {
        return session.forward(Batch.of(ids, 1, ids.length));
    }

    /**
     * The prompt followed by up to maxNewTokens tokens chosen by sampler (greedy:
     * {@link Sampler#greedy()}), through a KV cache on the backend; stops at the config's EOS token.
     */
    public int[] generate(int[] prompt, int maxNewTokens, Sampler sampler) {
        int eos = params.config().eosTokenId();
        return new Generator(session).generate(prompt, maxNewTokens, sampler, eos, null).ids();
    }

    /** The greedy continuation of a text prompt, decoded (needs tokenizer.json in the model folder). */
    public String generate(String prompt, int maxNewTokens) {
        Tokenizer tok = tokenizer();
        int[] promptIds = tok.encode(prompt);
        int[] all = generate(promptIds, maxNewTokens, Sampler.greedy());
        return tok.decode(Arrays.copyOfRange(all, promptIds.length, all.length), true);
    }

    /**
     * Labels and probabilities of texts from a {@code NemotronForSequenceClassification} (a
     * {@link Minitron#finetune} checkpoint, or HF's), encoded as fine-tuning encodes them.
     */
    public List<TaskInference.Classification> classify(String... texts) {
        return taskInference().classify(List.of(texts), 8);
    }

    /** The answer span of a question in its context, from a {@code NemotronForQuestionAnswering}. */
    public TaskInference.Answer answer(String question, String context) {
        return taskInference().answer(question, context);
    }

    /** A tag per word from a {@code NemotronForTokenClassification} (null for a word past the length limit). */
    public List<String> tag(List<String> words) {
        return taskInference().tag(words);
    }

    private TaskInference taskInference() {
        return new TaskInference(session, tokenizer(), params.config().maxPositionEmbeddings());
    }

    /** The tokenizer of the model folder, read on first use. */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            Path file = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) throw new IllegalStateException(dir + " has no tokenizer.json");
            tokenizer = HfTokenizer.load(file);
        }
        return tokenizer;
    }

    /**
     * Minitron's activation importance of every embedding channel, attention head, MLP neuron and
     * layer, from forward passes over samples windows of seqLen tokens drawn (with seed) from the
     * training split of a token data folder.
     */
    public ImportanceScores importance(Path dataDir, int samples, int seqLen, long seed, ImportanceOptions options)
            throws IOException {
        List<Batch> batches = Calibration.windows(dataDir, samples, seqLen, Math.min(samples, 8), seed);
        return Pruning.importance(backend, params, batches, options.withSource(dir.toString(), seed));
    }

    /** Held-out cross-entropy and perplexity over the validation split of a token data folder. */
    public Evaluator.Result evaluate(Path dataDir, int seqLen, int batch) throws IOException {
        try (TokenData data = TokenData.open(dataDir)) {
            return new Evaluator(session, seqLen, batch).evaluate(data.val(), Long.MAX_VALUE);
        }
    }

    /** Releases the backend's copy of the model. */
    @Override
    public void close() {
        session.close();
    }
}
