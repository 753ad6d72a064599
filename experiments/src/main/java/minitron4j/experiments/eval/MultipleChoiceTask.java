package minitron4j.experiments.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Zero-shot multiple-choice items: a context and its choices, one of them right. Each choice is
 * scored as the continuation {@link #TARGET_DELIMITER} + choice of the context (lm-eval's default
 * target delimiter), so contexts end without a trailing space and choices start without one.
 *
 * <p>JSONL files hold one item per line in one of three schemas, recognised per line:
 * <ul>
 *   <li>this project's {@code {"context": str, "choices": [str, ...], "label": int}};</li>
 *   <li>HellaSwag's ({@code ctx_a, ctx_b, activity_label, endings, label}), preprocessed as lm-eval's
 *   {@code hellaswag} task does;</li>
 *   <li>ARC's, either AI2's ({@code question: {stem, choices: [{text, label}]}, answerKey}) or the
 *   Hugging Face dataset's ({@code question: str, choices: {text: [...], label: [...]}, answerKey}),
 *   prompted as lm-eval's {@code arc_easy}/{@code arc_challenge}: "Question: ...\nAnswer:".</li>
 * </ul>
 */
public record MultipleChoiceTask(String name, List<Item> items) {
    public static final String TARGET_DELIMITER = " ";
    private static final ObjectMapper JSON = new ObjectMapper();

    public MultipleChoiceTask {
        items = List.copyOf(items);
    }

    /** One question: the context, at least two choices, and the index of the right one. */
    public record Item(String context, List<String> choices, int label) {
        public Item {
            choices = List.copyOf(choices);
            if (choices.size() < 2) throw new IllegalArgumentException("an item needs at least 2 choices, got " + choices.size());
            if (label < 0 || label >= choices.size())
                throw new IllegalArgumentException("label " + label + " outside [0, " + choices.size() + ")");
            for (String c : choices)
                if (c.isEmpty()) throw new IllegalArgumentException("empty choice in " + choices);
        }
    }

    /** Reads a JSONL file (blank lines skipped); the task is named after the file. */
    public static MultipleChoiceTask loadJsonl(Path file) throws IOException {
        return new MultipleChoiceTask(JsonlItems.taskName(file), JsonlItems.read(file, MultipleChoiceTask::item));
    }

    /** Writes the items in this project's schema, one per line (a file {@link #loadJsonl} reads back). */
    public String toJsonl() {
        StringBuilder sb = new StringBuilder();
        for (Item item : items) {
            ObjectNode row = JSON.createObjectNode();
            row.put("context", item.context());
            item.choices().forEach(row.putArray("choices")::add);
            row.put("label", item.label());
            sb.append(row).append('\n');
        }
        return sb.toString();
    }

    private static Item item(JsonNode row) {
        if (!row.isObject()) throw new IllegalArgumentException("expected a JSON object, found " + row.getNodeType());
        if (row.has("ctx_a") && row.has("endings")) return hellaSwag(row);
        if (row.has("answerKey")) return arc(row);
        if (!row.has("context") || !row.has("choices") || !row.has("label"))
            throw new IllegalArgumentException("expected fields \"context\", \"choices\", \"label\" (or a HellaSwag or ARC row), found "
                    + fieldNames(row));
        return new Item(text(row, "context"), texts(row.get("choices"), "choices"), integer(row.get("label"), "label"));
    }

    /** lm-eval's hellaswag: query = preprocess(activity_label + ": " + ctx_a + " " + capitalize(ctx_b)). */
    private static Item hellaSwag(JsonNode row) {
        String ctx = text(row, "ctx_a") + " " + capitalize(text(row, "ctx_b"));
        String query = hellaSwagPreprocess(text(row, "activity_label") + ": " + ctx);
        List<String> endings = texts(row.get("endings"), "endings").stream().map(MultipleChoiceTask::hellaSwagPreprocess).toList();
        return new Item(query, endings, integer(row.get("label"), "label"));
    }

    /** WikiHow steps carry " [title]" and "[header]"-style markers; lm-eval drops them like this. */
    static String hellaSwagPreprocess(String text) {
        return text.strip().replace(" [title]", ". ").replaceAll("\\[.*?\\]", "").replace("  ", " ");
    }

    /** Python's str.capitalize(): the first character in title case, the rest lower case. */
    private static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first))) + s.substring(n).toLowerCase(Locale.ROOT);
    }

    private static Item arc(JsonNode row) {
        JsonNode q = row.get("question");
        if (q == null) throw new IllegalArgumentException("ARC row without \"question\"");
        String stem;
        List<String> choiceTexts = new ArrayList<>(), choiceLabels = new ArrayList<>();
        if (q.isObject()) {
            stem = text(q, "stem");
            JsonNode choices = q.get("choices");
            if (choices == null || !choices.isArray()) throw new IllegalArgumentException("ARC \"question.choices\" must be an array");
            for (JsonNode c : choices) {
                choiceTexts.add(text(c, "text"));
                choiceLabels.add(text(c, "label"));
            }
        } else {
            stem = text(row, "question");
            JsonNode choices = row.get("choices");
            if (choices == null || !choices.isObject())
                throw new IllegalArgumentException("ARC \"choices\" must be an object {text: [...], label: [...]}");
            choiceTexts = texts(choices.get("text"), "choices.text");
            choiceLabels = texts(choices.get("label"), "choices.label");
        }
        String key = text(row, "answerKey");
        int label = choiceLabels.indexOf(key);
        if (label < 0) throw new IllegalArgumentException("answerKey \"" + key + "\" is none of the choice labels " + choiceLabels);
        return new Item("Question: " + stem + "\nAnswer:", choiceTexts, label);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual())
            throw new IllegalArgumentException("field \"" + field + "\" must be a string, found " + (v == null ? "nothing" : v.getNodeType()));
        return v.asText();
    }

    private static List<String> texts(JsonNode array, String field) {
        if (array == null || !array.isArray())
            throw new IllegalArgumentException("field \"" + field + "\" must be an array of strings, found "
                    + (array == null ? "nothing" : array.getNodeType()));
        List<String> out = new ArrayList<>();
        for (JsonNode v : array) {
            if (!v.isTextual()) throw new IllegalArgumentException("field \"" + field + "\" holds a " + v.getNodeType() + ", expected strings");
            out.add(v.asText());
        }
        return out;
    }

    /** An integer, also written as a string of digits (HellaSwag writes labels as "2"). */
    private static int integer(JsonNode v, String field) {
        if (v != null && v.canConvertToInt() && v.isIntegralNumber()) return v.asInt();
        if (v != null && v.isTextual() && v.asText().matches("\\d{1,9}")) return Integer.parseInt(v.asText());
        throw new IllegalArgumentException("field \"" + field + "\" must be an integer, found " + (v == null ? "nothing" : v));
    }

    private static List<String> fieldNames(JsonNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
