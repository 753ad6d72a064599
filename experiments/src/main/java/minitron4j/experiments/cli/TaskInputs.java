package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.training.task.LabeledData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The inputs of classify, qa and tag: objects given on the command line or read from JSONL, each with the fields needed. */
final class TaskInputs {
    private TaskInputs() {
    }

    /** One object per command-line value (as {"field": value}), then the lines of file; each must have the required fields. */
    static List<JsonNode> items(List<String> values, Path file, String field, String... required) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String v : values) {
            ObjectNode o = JsonOutput.object();
            o.put(field, v);
            out.add(o);
        }
        if (file != null) {
            for (LabeledData.Line line : LabeledData.lines(file)) {
                JsonNode o = line.node();
                int n = line.number();
                for (String f : concat(field, required)) {
                    if (!o.hasNonNull(f)) throw new IllegalArgumentException(file + ":" + n + ": field " + f + " is missing");
                    JsonNode v = o.get(f);
                    boolean words = f.equals("tokens"); // token classification's words; every other input is a string
                    boolean ok = words ? v.isArray() && !v.isEmpty() && java.util.stream.StreamSupport.stream(v.spliterator(), false).allMatch(JsonNode::isTextual)
                            : v.isTextual();
                    if (!ok) throw new IllegalArgumentException(file + ":" + n + ": field " + f + " must be "
                            + (words ? "a non-empty list of strings" : "a string") + ", got " + v);
                }
                out.add(o);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("nothing to do: give --" + field + " or --input FILE.jsonl");
        return out;
    }

    private static List<String> concat(String first, String... rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all;
    }
}
