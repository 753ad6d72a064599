package minitron4j.training.task;

import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the fine-tuned heads answer, through a backend session, for the command line and the Java
 * API alike: labels and probabilities of texts, the answer span of a question, a tag per word.
 * Inputs are encoded as fine-tuning encoded them ({@link TaskEncoder}); without a pad token
 * (HF's rule for sequence classification) texts run one at a time.
 */
public final class TaskInference {
    private final Backend.Session session;
    private final NemotronConfig config;
    private final TaskEncoder encoder;

    public TaskInference(Backend.Session session, Tokenizer tokenizer, int maxLen) {
        this.session = session;
        this.config = session.config();
        this.encoder = new TaskEncoder(tokenizer, Math.min(maxLen, config.maxPositionEmbeddings()));
    }

    /** A text's label and the probability of each label, in id order (regression: the value alone). */
    public record Classification(String label, double[] probabilities) {
    }

    /**
     * Answer of a question: the decoded span, its token positions, its start + end logit, and whether
     * the context was cut at the length limit (an answer beyond it cannot be found).
     */
    public record Answer(String text, int startToken, int endToken, double score, boolean contextCut) {
    }

    public List<Classification> classify(List<String> texts, int batch) {
        requireClass(config, Architecture.SEQUENCE_CLASSIFICATION, "the model");
        int rows = config.hasPadToken() ? Math.max(1, batch) : 1;
        List<String> labels = config.head().labels();
        List<Classification> out = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += rows) {
            List<int[]> ids = texts.subList(from, Math.min(texts.size(), from + rows)).stream().map(encoder::text).toList();
            Batch b = ExampleBatches.inputs(ids, ids.stream().mapToInt(x -> x.length).max().orElse(1), config.hasPadToken() ? config.padTokenId() : 0);
            for (double[] p : TaskPredictions.sequence(config, session.forward(b), b))
                out.add(new Classification(labels.get(TaskPredictions.argmax(p)), p));
        }
        return out;
    }

    public Answer answer(String question, String context) {
        requireClass(config, Architecture.QUESTION_ANSWERING, "the model");
        TaskEncoder.Question q = encoder.question(question, context, -1, null);
        Batch b = ExampleBatches.inputs(List.of(q.ids()), q.ids().length, 0);
        float[] outputs = session.forward(b);
        TaskPredictions.Span s = TaskPredictions.span(outputs, b, 0, q.contextStart());
        String text = encoder.tokenizer().decode(Arrays.copyOfRange(q.ids(), s.start(), s.end() + 1), true).strip();
        return new Answer(text, s.start(), s.end(), outputs[2 * s.start()] + outputs[2 * s.end() + 1], q.cut());
    }

    /** A tag per word: the tag of its first token; null for a word cut off by the length limit. */
    public List<String> tag(List<String> words) {
        requireClass(config, Architecture.TOKEN_CLASSIFICATION, "the model");
        TaskEncoder.Words encoded = encoder.words(words);
        Batch b = ExampleBatches.inputs(List.of(encoded.ids()), encoded.ids().length, 0);
        int[] tags = TaskPredictions.tags(config, session.forward(b), b, 0);
        List<String> out = new ArrayList<>();
        for (int at : encoded.firstToken()) out.add(at < 0 ? null : config.head().labels().get(tags[at]));
        return out;
    }

    /**
     * Refuses a model of another class than a task needs, naming both; source names the model (its
     * folder, for a command that checks before reading the weights).
     */
    public static void requireClass(NemotronConfig config, Architecture needed, String source) {
        if (config.architecture() != needed)
            throw new IllegalArgumentException(source + ": config.json's architectures names " + config.architecture().hfName()
                    + "; this needs a " + needed.hfName() + " (minitron4j finetune --task " + needed.task() + " makes one)");
    }
}
