package minitron4j.experiments.study;

import minitron4j.training.TrainOptions;
import minitron4j.training.task.FineTuner;
import minitron4j.training.task.FinetuneSpec;
import minitron4j.training.task.TaskFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A comparison of two starting models over two seeds: its report, its rows, and a rerun that keeps finished runs. */
class FinetuneComparisonTest {
    private static double accuracy(String jsonRow) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(jsonRow).get("val_accuracy").asDouble();
    }

    @TempDir
    Path dir;

    @Test
    void reportsEveryModelWithIntervalsAndKeepsFinishedRuns() throws Exception {
        Path a = TaskFixtures.byteLm(dir.resolve("a"));
        Path train = TaskFixtures.letters(dir.resolve("train.jsonl"), 48, 1), val = TaskFixtures.letters(dir.resolve("val.jsonl"), 20, 2);
        TrainOptions quiet = TrainOptions.defaults().withProgressBar(false);
        // the second starting model has learnt the task already, so the two differ and the difference's sign is tested
        Path b = FineTuner.run(new FinetuneSpec("sequence-classification", a, train, null, 24, 4, 16, 3e-3, 0, 0, 1.0, 0, 0, 0, 1),
                dir.resolve("pre"), false, quiet).lastCheckpoint();
        FinetuneSpec template = new FinetuneSpec("sequence-classification", a, train, val, 1, 4, 16, 1e-4, 0, 0, 1.0, 0, 1, 0, 1);
        List<FinetuneComparison.Source> sources = List.of(new FinetuneComparison.Source("first", a), new FinetuneComparison.Source("second", b));
        Path out = dir.resolve("out");
        Path report = FinetuneComparison.run(sources, List.of(0L, 1L), template, out, quiet);
        String md = Files.readString(report);
        assertTrue(md.contains("| first ") && md.contains("| second ") && md.contains("val_accuracy"), md);
        assertTrue(md.contains("95% t-interval") && md.contains("Wilson"), md);
        assertEquals(4, Files.readAllLines(out.resolve("results.jsonl")).size());
        assertTrue(Files.size(out.resolve("accuracy.png")) > 0 && Files.size(out.resolve("curves.png")) > 0);
        // the paired difference is second minus first, run by run: its estimate is the difference of their accuracies
        List<String> rows = Files.readAllLines(out.resolve("results.jsonl"));
        for (int seed = 0; seed < 2; seed++) {
            double first = accuracy(rows.get(seed)), second = accuracy(rows.get(2 + seed));
            String want = String.format(java.util.Locale.ROOT, "| %d | %.3f [", seed, second - first);
            assertTrue(md.replaceAll(" +", " ").contains("| second " + want), want + " in\n" + md);
        }

        Path log = out.resolve("first-seed0/log.jsonl");
        FileTime before = Files.getLastModifiedTime(log);
        Thread.sleep(20);
        FinetuneComparison.run(sources, List.of(0L, 1L), template, out, quiet);
        assertEquals(before, Files.getLastModifiedTime(log), "a finished run is not trained again");
        assertEquals(md, Files.readString(report), "the same runs give the same report");
    }
}
