package minitron4j.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code log.jsonl}: one JSON object per line, each with a {@code step}, flushed as it is written
 * so a killed run loses at most the line being written. Doubles are written in full (Java's
 * shortest round-trip form), so logged losses can be compared bit for bit.
 */
public final class JsonlLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> ROW = new TypeReference<>() {};

    private final BufferedWriter out;

    private JsonlLog(BufferedWriter out) {
        this.out = out;
    }

    /** Starts a new log, replacing any file at path. */
    public static JsonlLog create(Path path) throws IOException {
        return new JsonlLog(Files.newBufferedWriter(path, StandardCharsets.UTF_8));
    }

    /**
     * Continues the log of a run resumed after step {@code step}: rows of later steps (written
     * after the checkpoint, before the run stopped) and a torn last line are dropped first.
     */
    public static JsonlLog resume(Path path, int step) throws IOException {
        List<Map<String, Object>> kept = new ArrayList<>();
        for (Map<String, Object> row : read(path))
            if (((Number) row.get("step")).intValue() <= step) kept.add(row);
        StringBuilder text = new StringBuilder();
        for (Map<String, Object> row : kept) text.append(JSON.writeValueAsString(row)).append('\n');
        RunFolder.writeAtomically(path, text.toString().getBytes(StandardCharsets.UTF_8));
        return new JsonlLog(Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /** Every row of a log; a last line cut short by a crash is skipped, a bad line elsewhere is an error. */
    public static List<Map<String, Object>> read(Path path) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!Files.exists(path)) return rows;
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            try {
                Map<String, Object> row = JSON.readValue(line, ROW);
                if (!(row.get("step") instanceof Number))
                    throw new IOException(path + ": line " + (i + 1) + " has no numeric \"step\"");
                rows.add(row);
            } catch (JsonProcessingException e) {
                if (i == lines.size() - 1) break;
                throw new IOException(path + ": line " + (i + 1) + " is not JSON: " + e.getOriginalMessage());
            }
        }
        return rows;
    }

    /** Appends one row and flushes it to the file. */
    public void write(Map<String, Object> row) {
        try {
            out.write(JSON.writeValueAsString(row));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing log.jsonl", e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
