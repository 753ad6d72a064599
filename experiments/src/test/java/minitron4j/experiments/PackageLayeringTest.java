package minitron4j.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The packages of every module import only downward: jdeps over the compiled classes finds no
 * cycle among the project's packages (e.g. the backend SPI and the file formats above the network,
 * never the reverse). This module builds last, so every sibling's classes are there.
 */
class PackageLayeringTest {
    private static final List<String> MODULES = List.of("kernels", "model", "training", "pruning", "distillation", "api", "experiments");
    private static final Pattern EDGE = Pattern.compile("^\\s+(minitron4j[\\w.]*)\\s+->\\s+(minitron4j[\\w.]*)\\s");

    @Test
    void projectPackagesFormNoCycle() {
        Map<String, Set<String>> imports = new TreeMap<>();
        for (String module : MODULES) {
            Path classes = Path.of("..", module, "target", "classes");
            assertTrue(Files.isDirectory(classes), classes + " is not built");
            StringWriter out = new StringWriter();
            int rc = ToolProvider.findFirst("jdeps").orElseThrow()
                    .run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:none", classes.toString());
            assertEquals(0, rc, out.toString());
            for (String line : out.toString().split("\n")) {
                Matcher m = EDGE.matcher(line);
                if (m.find() && !m.group(1).equals(m.group(2)))
                    imports.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertTrue(imports.containsKey("minitron4j.model.backend"), "jdeps saw the packages: " + imports.keySet());
        for (String start : imports.keySet()) {
            List<String> cycle = cycleFrom(start, start, imports, new ArrayList<>(List.of(start)), new TreeSet<>());
            assertTrue(cycle == null, "package cycle: " + (cycle == null ? "" : String.join(" -> ", cycle)));
        }
    }

    /** A path of imports from node back to start, or null. */
    private static List<String> cycleFrom(String start, String node, Map<String, Set<String>> imports, List<String> path, Set<String> seen) {
        for (String next : imports.getOrDefault(node, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                return cycle;
            }
            if (!seen.add(next)) continue;
            path.add(next);
            List<String> found = cycleFrom(start, next, imports, path, seen);
            if (found != null) return found;
            path.removeLast();
        }
        return null;
    }
}
