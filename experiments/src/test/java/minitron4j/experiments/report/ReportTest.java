package minitron4j.experiments.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static void assertPng(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertTrue(bytes.length > 1000, file + " holds only " + bytes.length + " bytes");
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), file + " is not a PNG");
    }

    @Test
    void plotsWritePngFiles(@TempDir Path dir) throws IOException {
        Plots.lines("loss", "step", "nats per token", List.of(
                new Plots.Series("distilled", new double[]{0, 10, 20, 30}, new double[]{7.6, 5.1, 4.2, 3.9}),
                new Plots.Series("from scratch", new double[]{0, 10, 20, 30}, new double[]{7.6, 6.0, 5.2, 4.8}),
                new Plots.Series("pruned, not trained", new double[]{0}, new double[]{5.5})), dir.resolve("loss.png"));
        assertPng(dir.resolve("loss.png"));

        Plots.bars("final loss", "nats per token", List.of(new Plots.Bar("width", 3.9, 0.05),
                Plots.Bar.of("depth", 4.1), new Plots.Bar("scratch", 4.8, 0.1)), dir.resolve("bars.png"));
        assertPng(dir.resolve("bars.png"));
        Plots.bars("no errors", "acc", List.of(Plots.Bar.of("a", 0.3), Plots.Bar.of("b", 0.4)), dir.resolve("plain.png"));
        assertPng(dir.resolve("plain.png"));

        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("embedding", new double[]{0.1, 0.5, 0.7, 0.2, 3.0});
        scores.put("heads", new double[]{1, 2, 2, 3});
        scores.put("neurons", new double[]{0, 0, 0});
        scores.put("layers", new double[0]);
        Plots.histograms("importance", scores, 10, dir.resolve("importance.png"));
        assertPng(dir.resolve("importance.png"));
    }

    @Test
    void histogramStepsCountEveryValueOnce() {
        double[][] s = Plots.histogramSteps(new double[]{0, 1, 2, 3, 4, 4}, 4);
        assertArrayEquals(new double[]{0, 1, 2, 3, 4}, s[0], 1e-12);
        assertArrayEquals(new double[]{1, 1, 1, 3, 3}, s[1], 1e-12);
        double[][] flat = Plots.histogramSteps(new double[]{2, 2}, 3);
        assertEquals(2, flat[1][0] + flat[1][1] + flat[1][2]);
    }

    @Test
    void meanIntervalUsesStudentT() {
        ConfidenceInterval ci = ConfidenceInterval.mean95(new double[]{1, 2, 3, 4, 5});
        // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.7764451
        double half = 2.7764451 * Math.sqrt(2.5) / Math.sqrt(5);
        assertEquals(3, ci.estimate(), 1e-12);
        assertEquals(3 - half, ci.lower(), 1e-6);
        assertEquals(3 + half, ci.upper(), 1e-6);
        assertEquals(5, ci.n());
        ConfidenceInterval single = ConfidenceInterval.mean95(new double[]{2.5});
        assertTrue(Double.isNaN(single.lower()) && Double.isNaN(single.halfWidth()));
        assertEquals("2.500", single.format(3));
        assertEquals("3.00 [" + String.format("%.2f", 3 - half) + ", " + String.format("%.2f", 3 + half) + "]", ci.format(2));
    }

    @Test
    void accuracyIntervalIsWilsons() {
        ConfidenceInterval ci = ConfidenceInterval.wilson95(8, 10);
        double z = 1.959963984540054, n = 10, p = 0.8;
        double center = (p + z * z / (2 * n)) / (1 + z * z / n);
        double half = z / (1 + z * z / n) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
        assertEquals(center - half, ci.lower(), 1e-9);
        assertEquals(center + half, ci.upper(), 1e-9);
        ConfidenceInterval none = ConfidenceInterval.wilson95(0, 25);
        assertEquals(0, none.lower());
        assertTrue(none.upper() > 0.1 && none.upper() < 0.2);
        assertThrows(IllegalArgumentException.class, () -> ConfidenceInterval.wilson95(3, 2));
    }

    @Test
    void markdownTablesAlignNumbersRightAndEscapePipes() {
        String t = new MarkdownTable("arm", "loss", "ppl")
                .row("width + KD", MarkdownTable.number(3.91234, 3), "50.1")
                .row("a|b", null, MarkdownTable.number(Double.NaN, 2))
                .toString();
        assertEquals("""
                | arm        |  loss |  ppl |
                | ---------- | ----: | ---: |
                | width + KD | 3.912 | 50.1 |
                | a\\|b       |     - |    - |
                """, t);
        assertThrows(IllegalArgumentException.class, () -> new MarkdownTable("a", "b").row("only one"));
    }
}
