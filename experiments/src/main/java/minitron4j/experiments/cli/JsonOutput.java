package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Machine-readable results: one compact JSON object as the last line of stdout. */
final class JsonOutput {
    static final ObjectMapper JSON = new ObjectMapper();

    private JsonOutput() {}

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static void print(ObjectNode o) {
        try {
            System.out.println(JSON.writeValueAsString(o));
            System.out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses "5,17,9" into ids. */
    static int[] parseIds(String csv, String option) {
        String[] parts = csv.split(",");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": \"" + parts[i] + "\" is not an integer id");
            }
        }
        return ids;
    }
}
