package minitron4j.experiments.study;

import minitron4j.training.TrainOptions;
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
    @TempDir
    Path dir;

    @Test
    void reportsEveryModelWithIntervalsAndKeepsFinishedRuns() throws Exception {
        Path a = TaskFixtures.byteLm(dir.resolve("a")), b = TaskFixtures.byteLm(dir.resolve("b"));
        Path train = TaskFixtures.letters(dir.resolve("train.jsonl"), 48, 1), val = TaskFixtures.letters(dir.resolve("val.jsonl"), 20, 2);
        FinetuneSpec template = new FinetuneSpec("sequence-classification", a, train, val, 8, 4, 16, 3e-3, 0, 0, 1.0, 0, 4, 0, 1);
        List<FinetuneComparison.Source> sources = List.of(new FinetuneComparison.Source("first", a), new FinetuneComparison.Source("second", b));
        TrainOptions quiet = TrainOptions.defaults().withProgressBar(false);
        Path out = dir.resolve("out");
        Path report = FinetuneComparison.run(sources, List.of(0L, 1L), template, out, quiet);
        String md = Files.readString(report);
        assertTrue(md.contains("| first ") && md.contains("| second ") && md.contains("val_accuracy"), md);
        assertTrue(md.contains("95% t-interval") && md.contains("95% Wilson"), md);
        assertEquals(4, Files.readAllLines(out.resolve("results.jsonl")).size());
        assertTrue(Files.size(out.resolve("accuracy.png")) > 0 && Files.size(out.resolve("curves.png")) > 0);

        Path log = out.resolve("first-seed0/log.jsonl");
        FileTime before = Files.getLastModifiedTime(log);
        Thread.sleep(20);
        FinetuneComparison.run(sources, List.of(0L, 1L), template, out, quiet);
        assertEquals(before, Files.getLastModifiedTime(log), "a finished run is not trained again");
        assertEquals(md, Files.readString(report), "the same runs give the same report");
    }
}
