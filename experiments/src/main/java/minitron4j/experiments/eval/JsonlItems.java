package minitron4j.experiments.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Reads the items of a task file: one JSON object a line, blank lines skipped, errors as file:line. */
final class JsonlItems {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlItems() {}

    /** Every row turned into an item; a row the parser rejects (IllegalArgumentException) is reported with its line. */
    static <T> List<T> read(Path file, Function<JsonNode, T> item) throws IOException {
        List<T> items = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            for (int number = 1; (line = in.readLine()) != null; number++) {
                if (line.isBlank()) continue;
                try {
                    items.add(item.apply(JSON.readTree(line)));
                } catch (JsonProcessingException e) {
                    throw new IOException(file + ":" + number + ": not valid JSON: " + e.getOriginalMessage(), e);
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + ":" + number + ": " + e.getMessage(), e);
                }
            }
        }
        if (items.isEmpty()) throw new IOException(file + ": no items");
        return items;
    }

    /** The task's name: the file's name without .jsonl / .json. */
    static String taskName(Path file) {
        return file.getFileName().toString().replaceFirst("\\.jsonl?$", "");
    }
}
