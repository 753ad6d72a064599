package minitron4j.model.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Mutations of a valid input, reproducible from a seed: byte-level (bit flips, inserted, deleted,
 * duplicated and truncated runs, a number swapped for an extreme one) and, for JSON, structural
 * (a random node replaced by an extreme value, removed, or given a hostile sibling).
 */
public final class Mutator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] EXTREME_NUMBERS = {"0", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
            "1e308", "-1e308", "1e-320", "4294967296", "65536", "1099511627776", "NaN", "Infinity", "1.5", "007"};

    private Mutator() {}

    /** One to four byte-level mutations of bytes. */
    public static byte[] bytes(byte[] valid, long seed) {
        Random r = new Random(seed);
        byte[] b = valid.clone();
        for (int k = 1 + r.nextInt(4); k > 0; k--) b = byteStep(b, r);
        return b;
    }

    /** JSON text mutated structurally (three quarters of the seeds) or byte by byte. */
    public static byte[] json(byte[] valid, long seed) {
        Random r = new Random(seed);
        if (r.nextInt(4) == 0) return bytes(valid, seed);
        try {
            JsonNode root = JSON.readTree(valid);
            for (int k = 1 + r.nextInt(3); k > 0; k--) root = jsonStep(root, r);
            return JSON.writeValueAsBytes(root);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the seed input is not JSON", e);
        }
    }

    private static byte[] byteStep(byte[] b, Random r) {
        int n = b.length;
        if (n == 0) return new byte[]{(byte) r.nextInt()};
        int at = r.nextInt(n);
        return switch (r.nextInt(7)) {
            case 0 -> { // flip bits
                byte[] c = b.clone();
                c[at] ^= (byte) (1 << r.nextInt(8));
                yield c;
            }
            case 1 -> { // random byte
                byte[] c = b.clone();
                c[at] = (byte) r.nextInt();
                yield c;
            }
            case 2 -> { // insert a few bytes
                byte[] ins = new byte[1 + r.nextInt(8)];
                r.nextBytes(ins);
                yield splice(b, at, at, ins);
            }
            case 3 -> splice(b, at, Math.min(n, at + 1 + r.nextInt(16)), new byte[0]); // delete a run
            case 4 -> { // duplicate a run
                int end = Math.min(n, at + 1 + r.nextInt(32));
                yield splice(b, end, end, Arrays.copyOfRange(b, at, end));
            }
            case 5 -> Arrays.copyOf(b, at); // truncate
            default -> { // an ASCII number swapped for an extreme one
                int s = at;
                while (s < n && !Character.isDigit(b[s])) s++;
                if (s == n) yield b;
                int e = s;
                while (e < n && Character.isDigit(b[e])) e++;
                yield splice(b, s, e, EXTREME_NUMBERS[r.nextInt(EXTREME_NUMBERS.length)].getBytes(StandardCharsets.US_ASCII));
            }
        };
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] with) {
        byte[] c = new byte[b.length - (to - from) + with.length];
        System.arraycopy(b, 0, c, 0, from);
        System.arraycopy(with, 0, c, from, with.length);
        System.arraycopy(b, to, c, from + with.length, b.length - to);
        return c;
    }

    private static JsonNode jsonStep(JsonNode root, Random r) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers);
        if (containers.isEmpty()) return extreme(r);
        JsonNode parent = containers.get(r.nextInt(containers.size()));
        if (parent instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            if (names.isEmpty() || r.nextInt(8) == 0) {
                o.set(names.isEmpty() || r.nextBoolean() ? "fuzz" : names.get(r.nextInt(names.size())) + "_x", extreme(r));
            } else {
                String name = names.get(r.nextInt(names.size()));
                if (r.nextInt(5) == 0) o.remove(name);
                else o.set(name, extreme(r));
            }
        } else if (parent instanceof ArrayNode a) {
            if (a.isEmpty() || r.nextInt(6) == 0) a.add(extreme(r));
            else if (r.nextInt(5) == 0) a.remove(r.nextInt(a.size()));
            else a.set(r.nextInt(a.size()), extreme(r));
        }
        return root;
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (!n.isContainerNode()) return;
        out.add(n);
        // Containers of large arrays of scalars (a vocabulary, merges) stay reachable without listing every element.
        int seen = 0;
        for (JsonNode c : n) {
            if (c.isContainerNode()) collect(c, out);
            if (++seen > 64) break;
        }
    }

    private static JsonNode extreme(Random r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(12)) {
            case 0 -> f.nullNode();
            case 1 -> f.booleanNode(r.nextBoolean());
            case 2 -> f.numberNode(-1);
            case 3 -> f.numberNode(Integer.MAX_VALUE);
            case 4 -> f.numberNode(1L << 40);
            case 5 -> f.numberNode(1e308);
            case 6 -> f.numberNode(0.5);
            case 7 -> f.textNode("");
            case 8 -> f.textNode("\u0000\uFFFD<unk>");
            case 9 -> f.arrayNode().add(f.numberNode(r.nextInt(5))).add("a");
            case 10 -> f.objectNode().put("type", "Unknown");
            default -> f.numberNode(r.nextInt(1 << 20) - (1 << 19));
        };
    }
}
