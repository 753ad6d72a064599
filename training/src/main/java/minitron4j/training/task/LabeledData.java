package minitron4j.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import minitron4j.model.ProblemType;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Labeled JSONL of ../shared/docs/INTERFACES.md, one object a line: {@code {"text", "label"}} for
 * sequence classification (a label name; a list of names for multi-label; a number, or a list of
 * num_labels numbers, for regression; one kind per file),
 * {@code {"question", "context", "answer", "answer_start"}} for QA (answer_start a character offset
 * into context, where answer must be found), {@code {"tokens": [...], "tags": [...]}} for token
 * classification. Every malformed line is refused with the file, the line and the field.
 */
public final class LabeledData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LabeledData() {
    }

    /** One object of a JSONL file and its 1-based line number. */
    public record Line(int number, JsonNode node) {
    }

    /**
     * The objects of a JSONL file with their line numbers (blank lines skipped), each line refused by
     * file and line when it is not a JSON object; none for an empty file.
     */
    public static List<Line> lines(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        List<Line> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String s;
            int n = 0;
            while ((s = r.readLine()) != null) {
                n++;
                if (s.isBlank()) continue;
                JsonNode node;
                try {
                    node = JSON.readTree(s);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": not a JSON object (" + e.getOriginalMessage() + ")");
                }
                if (node == null || !node.isObject()) throw new IllegalArgumentException(file + ":" + n + ": not a JSON object");
                out.add(new Line(n, node));
            }
        }
        return out;
    }

    /** {@link #lines}, refusing a file without any. */
    private static List<Line> examples(Path file) throws IOException {
        List<Line> out = lines(file);
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no examples");
        return out;
    }

    /**
     * The head a task's data implies when a model does not name one: for sequence classification the
     * sorted label names (single-label), the names in the lists (multi-label) or one value
     * (regression); for token classification the sorted tag names; none for QA.
     */
    public static HeadSpec inferHead(Path file, Architecture task) throws IOException {
        List<Line> lines = examples(file);
        return switch (task) {
            case SEQUENCE_CLASSIFICATION -> {
                JsonNode first = field(file, lines.getFirst(), "label");
                if (first.isNumber()) yield new HeadSpec(task, List.of("LABEL_0"), ProblemType.REGRESSION);
                if (first.isArray() && !first.isEmpty() && first.get(0).isNumber()) // several regression targets, HF's LABEL_i names
                    yield new HeadSpec(task, HeadSpec.defaultLabels(first.size()), ProblemType.REGRESSION);
                TreeSet<String> names = new TreeSet<>();
                for (Line l : lines) {
                    JsonNode label = field(file, l, "label");
                    if (label.isArray() != first.isArray() || label.isNumber())
                        throw error(file, l, "label", "mixes kinds: every label must be a name, a list of names or a number, as on line "
                                + lines.getFirst().number());
                    if (label.isArray()) for (JsonNode x : label) names.add(text(file, l, "label", x));
                    else names.add(text(file, l, "label", label));
                }
                if (names.isEmpty()) throw new IllegalArgumentException(file + ": no label names in field label (every list is empty)");
                if (names.size() < 2 && !first.isArray())
                    throw new IllegalArgumentException(file + ": every example has the label " + names + "; classification needs two or more");
                yield new HeadSpec(task, List.copyOf(names), first.isArray() ? ProblemType.MULTI_LABEL : ProblemType.SINGLE_LABEL);
            }
            case TOKEN_CLASSIFICATION -> {
                TreeSet<String> names = new TreeSet<>();
                for (Line l : lines) for (JsonNode x : array(file, l, "tags")) names.add(text(file, l, "tags", x));
                if (names.isEmpty()) throw new IllegalArgumentException(file + ": no tag names in field tags (every list is empty)");
                yield new HeadSpec(task, List.copyOf(names), null);
            }
            case QUESTION_ANSWERING -> new HeadSpec(task, HeadSpec.defaultLabels(2), null);
            case CAUSAL_LM, BASE -> throw new IllegalArgumentException(task.hfName() + " is not a fine-tuning task");
        };
    }

    /** The examples of file for head (its class and labels), encoded by encoder; QA answers beyond maxLen are skipped and counted on stderr. */
    public static List<LabeledExample> read(Path file, HeadSpec head, TaskEncoder encoder) throws IOException {
        List<LabeledExample> out = new ArrayList<>();
        int skipped = 0;
        List<Line> lines = examples(file);
        ProblemType kind = head.architecture() == Architecture.SEQUENCE_CLASSIFICATION
                ? head.problemType(field(file, lines.getFirst(), "label").isTextual()) : null;
        for (Line l : lines) {
            LabeledExample e = switch (head.architecture()) {
                case SEQUENCE_CLASSIFICATION -> sequence(file, l, head, kind, encoder);
                case TOKEN_CLASSIFICATION -> tokens(file, l, head, encoder);
                case QUESTION_ANSWERING -> question(file, l, encoder);
                case CAUSAL_LM, BASE -> throw new IllegalArgumentException(head.architecture().hfName() + " is not a fine-tuning task");
            };
            if (e == null) skipped++;
            else out.add(e);
        }
        if (skipped > 0)
            System.err.println(file + ": " + skipped + " question(s) skipped, their answer ends beyond " + encoder.maxLen() + " tokens");
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no example fits in " + encoder.maxLen() + " tokens");
        return out;
    }

    /**
     * One sequence-classification line of the file's kind: a label name (single-label), a number or
     * a list of num_labels numbers (regression), a list of label names (multi-label).
     */
    private static LabeledExample sequence(Path file, Line l, HeadSpec head, ProblemType kind, TaskEncoder encoder) {
        int[] ids = encoder.text(text(file, l, "text", field(file, l, "text")));
        JsonNode label = field(file, l, "label");
        int k = head.numLabels();
        return switch (kind) {
            case REGRESSION -> {
                float[] values = new float[k];
                if (label.isNumber() && k == 1) values[0] = label.floatValue();
                else if (label.isArray() && label.size() == k) {
                    for (int j = 0; j < k; j++) {
                        if (!label.get(j).isNumber()) throw error(file, l, "label", "must hold numbers for a regression head, got " + label);
                        values[j] = label.get(j).floatValue();
                    }
                } else throw error(file, l, "label", "must be " + (k == 1 ? "a number" : "a list of " + k + " numbers")
                        + " for this regression head (num_labels " + k + "), got " + label);
                yield new LabeledExample(ids, CrossEntropy.IGNORE, values, null, -1, -1, 0);
            }
            case SINGLE_LABEL -> {
                if (!label.isTextual()) throw error(file, l, "label", "must be a label name, as on the file's first line, got " + label);
                yield new LabeledExample(ids, labelId(file, l, "label", label, head), null, null, -1, -1, 0);
            }
            case MULTI_LABEL -> {
                if (!label.isArray()) throw error(file, l, "label", "must be a list of label names for a multi-label head, got " + label);
                float[] row = new float[k];
                for (JsonNode x : label) row[labelId(file, l, "label", x, head)] = 1;
                yield new LabeledExample(ids, CrossEntropy.IGNORE, row, null, -1, -1, 0);
            }
        };
    }

    private static LabeledExample tokens(Path file, Line l, HeadSpec head, TaskEncoder encoder) {
        JsonNode words = array(file, l, "tokens"), tags = array(file, l, "tags");
        if (words.size() != tags.size())
            throw error(file, l, "tags", "holds " + tags.size() + " tags for " + words.size() + " tokens");
        List<String> w = new ArrayList<>();
        for (JsonNode x : words) w.add(text(file, l, "tokens", x));
        TaskEncoder.Words encoded = encoder.words(w);
        int[] tagIds = new int[encoded.ids().length];
        java.util.Arrays.fill(tagIds, CrossEntropy.IGNORE);
        for (int i = 0; i < w.size(); i++)
            if (encoded.firstToken()[i] >= 0) tagIds[encoded.firstToken()[i]] = labelId(file, l, "tags", tags.get(i), head);
        return new LabeledExample(encoded.ids(), CrossEntropy.IGNORE, null, tagIds, -1, -1, 0);
    }

    private static LabeledExample question(Path file, Line l, TaskEncoder encoder) {
        String context = text(file, l, "context", field(file, l, "context"));
        String answer = text(file, l, "answer", field(file, l, "answer"));
        JsonNode at = field(file, l, "answer_start");
        if (!at.isIntegralNumber() || !at.canConvertToInt())
            throw error(file, l, "answer_start", "must be a character offset into context (an integer), got " + at);
        int start = at.intValue();
        if (answer.isEmpty() || start < 0 || start + answer.length() > context.length()
                || !context.regionMatches(start, answer, 0, answer.length()))
            throw error(file, l, "answer_start", start + " does not point at the answer \"" + answer + "\" in context");
        TaskEncoder.Question q = encoder.question(text(file, l, "question", field(file, l, "question")), context, start, answer);
        return q.start() < 0 ? null : new LabeledExample(q.ids(), CrossEntropy.IGNORE, null, null, q.start(), q.end(), q.contextStart());
    }

    private static int labelId(Path file, Line l, String field, JsonNode value, HeadSpec head) {
        String name = text(file, l, field, value);
        int id = head.labelId(name);
        if (id < 0) throw error(file, l, field, "names \"" + name + "\", which is not among the model's labels " + head.labels());
        return id;
    }

    private static JsonNode field(Path file, Line l, String name) {
        JsonNode n = l.node().get(name);
        if (n == null || n.isNull()) throw error(file, l, name, "is missing");
        return n;
    }

    private static JsonNode array(Path file, Line l, String name) {
        JsonNode n = field(file, l, name);
        if (!n.isArray()) throw error(file, l, name, "must be a list, got " + n);
        return n;
    }

    private static String text(Path file, Line l, String name, JsonNode n) {
        if (!n.isTextual()) throw error(file, l, name, "must be a string, got " + n);
        return n.asText();
    }

    private static IllegalArgumentException error(Path file, Line l, String field, String what) {
        return new IllegalArgumentException(file + ":" + l.number() + ": field " + field + " " + what);
    }
}
