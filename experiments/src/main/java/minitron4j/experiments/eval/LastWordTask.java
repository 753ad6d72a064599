package minitron4j.experiments.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * LAMBADA-style items: a passage whose last word is cut off, and that word. The word is scored as
 * the continuation " " + word, as lm-eval scores LAMBADA. JSONL: {@code {"context": str, "word": str}}
 * per line.
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
        List<Item> items = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            for (int number = 1; (line = in.readLine()) != null; number++) {
                if (line.isBlank()) continue;
                try {
                    JsonNode row = JSON.readTree(line);
                    JsonNode context = row.get("context"), word = row.get("word");
                    if (context == null || !context.isTextual() || word == null || !word.isTextual())
                        throw new IllegalArgumentException("expected string fields \"context\" and \"word\", found " + row);
                    items.add(new Item(context.asText(), word.asText()));
                } catch (JsonProcessingException e) {
                    throw new IOException(file + ":" + number + ": not valid JSON: " + e.getOriginalMessage(), e);
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ":" + number + ": " + e.getMessage(), e);
                }
            }
        }
        if (items.isEmpty()) throw new IOException(file + ": no items");
        return new LastWordTask(file.getFileName().toString().replaceFirst("\\.jsonl?$", ""), items);
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
