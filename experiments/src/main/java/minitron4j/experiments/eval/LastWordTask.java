package minitron4j.experiments.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * LAMBADA-style items: a passage whose last word is cut off, and that word. The word is scored as
 * the continuation " " + word, as lm-eval scores LAMBADA. JSONL rows are either this project's
 * {@code {"context": str, "word": str}} or LAMBADA's own {@code {"text": str}}, split as lm-eval
 * splits it: the word is what follows the last space.
 */
public record LastWordTask(String name, List<Item> items) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public LastWordTask {
        items = List.copyOf(items);
    }

    public record Item(String context, String word) {
        public Item {
            if (word.isBlank()) throw new IllegalArgumentException("blank target word after \"" + context + "\"");
        }
    }

    public static LastWordTask loadJsonl(Path file) throws IOException {
        return new LastWordTask(JsonlItems.taskName(file), JsonlItems.read(file, LastWordTask::item));
    }

    private static Item item(JsonNode row) {
        JsonNode context = row.get("context"), word = row.get("word"), text = row.get("text");
        if (context != null && context.isTextual() && word != null && word.isTextual())
            return new Item(context.asText(), word.asText());
        if (text != null && text.isTextual()) {
            String t = text.asText();
            int cut = t.lastIndexOf(' ');
            if (cut < 0) throw new IllegalArgumentException("\"text\" has no space to cut its last word at: " + t);
            return new Item(t.substring(0, cut), t.substring(cut + 1));
        }
        throw new IllegalArgumentException("expected string fields \"context\" and \"word\" (or LAMBADA's \"text\"), found " + row);
    }

    public String toJsonl() {
        StringBuilder sb = new StringBuilder();
        for (Item item : items) {
            ObjectNode row = JSON.createObjectNode();
            row.put("context", item.context());
            row.put("word", item.word());
            sb.append(row).append('\n');
        }
        return sb.toString();
    }
}
