package minitron4j.distillation;

import com.fasterxml.jackson.databind.JsonNode;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Nemotron;
import minitron4j.model.io.Checkpoint;
import minitron4j.pruning.Calibration;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.Pruning;
import minitron4j.pruning.PruningOptions;
import minitron4j.training.TinyData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureSearchTest {

    @Test
    void candidatesLieWithinTheBudgetAndRespectGqa() {
        NemotronConfig teacher = NemotronConfig.of(100, 64, 256, 4, 8, 2, 8, false);
        ArchitectureSearch.Grid grid = ArchitectureSearch.Grid.around(teacher, List.of(1.0, 0.75, 0.5, 0.25), 8);
        assertEquals(List.of(2, 4, 6, 8), grid.heads(), "GQA: multiples of the 2 KV heads");
        assertEquals(List.of(16, 32, 48, 64), grid.hiddenSizes());
        assertEquals(List.of(2, 3, 4), grid.layers());
        long budget = teacher.parameterCount() / 2;
        List<ArchitectureSearch.Candidate> c = ArchitectureSearch.candidates(teacher, grid, budget, 0.05);
        assertFalse(c.isEmpty());
        long previous = -1;
        for (ArchitectureSearch.Candidate x : c) {
            long distance = Math.abs(x.parameters() - budget);
            assertTrue(distance <= 0.05 * budget, x + " is within 5% of " + budget);
            assertTrue(distance >= previous, "closest to the budget first");
            previous = distance;
            assertEquals(x.parameters(), x.shape().applyTo(teacher).parameterCount());
            assertEquals(2, x.shape().applyTo(teacher).numKeyValueHeads(), "GQA keeps its KV heads");
        }
        // every grid shape inside the band is there, and nothing outside the teacher's axes
        long inBand = 0;
        for (int h : grid.hiddenSizes()) for (int a : grid.heads()) for (int f : grid.intermediateSizes()) for (int l : grid.layers())
            if (Math.abs(new ArchitectureSearch.Shape(h, a, f, l).applyTo(teacher).parameterCount() - budget) <= 0.05 * budget) inBand++;
        assertEquals(inBand, c.size());
        ArchitectureSearch.Grid wide = new ArchitectureSearch.Grid(List.of(64, 80), List.of(3, 8), List.of(256), List.of(4, 5));
        assertEquals(List.of(new ArchitectureSearch.Shape(64, 8, 256, 4)),
                ArchitectureSearch.candidates(teacher, wide, teacher.parameterCount(), 0.3).stream().map(ArchitectureSearch.Candidate::shape).toList(),
                "no axis beyond the teacher's, no head count off the GQA rule");

        NemotronConfig mha = NemotronConfig.of(100, 64, 256, 4, 4, 4, 16, false);
        assertEquals(List.of(1, 2, 3, 4), ArchitectureSearch.Grid.around(mha, List.of(1.0), 8).heads(), "MHA: any head count");
        assertEquals(3, new ArchitectureSearch.Shape(64, 3, 256, 4).applyTo(mha).numKeyValueHeads(), "MHA: KV heads follow");
    }

    /**
     * The search on a tiny teacher, pruned by its importance scores: each candidate gets a short
     * distillation, the table is ranked by val_ce_loss, the best continues; started again, it reuses
     * what is done instead of pruning again.
     */
    @Test
    void searchRanksByValidationLossAndContinuesTheBest(@TempDir Path tmp) throws IOException {
        Path data = TinyData.write(tmp.resolve("data"), 4000, 400);
        Parameters teacherParams = TinyModels.trainedTeacher(data, 40);
        Path teacher = TinyModels.save(teacherParams, tmp.resolve("teacher"));
        ImportanceScores scores = Pruning.importance(new CpuBackend(), teacherParams,
                Calibration.windows(data, 16, TinyModels.SEQ, TinyModels.BATCH, 0), ImportanceOptions.defaults());
        NemotronConfig tc = TinyModels.teacherConfig();
        List<ArchitectureSearch.Candidate> candidates = ArchitectureSearch.candidates(tc,
                ArchitectureSearch.Grid.around(tc, List.of(1.0, 0.875, 0.75, 0.625, 0.5), 2), tc.parameterCount() * 7 / 10, 0.05);
        assertTrue(candidates.size() >= 2, "candidates " + candidates);
        List<ArchitectureSearch.Candidate> tried = candidates.subList(0, 2);
        AtomicInteger pruned = new AtomicInteger();
        ArchitectureSearch.Pruner byImportance = ArchitectureSearch.pruner(scores, PruningOptions.defaults());
        ArchitectureSearch.Pruner pruner = (t, s) -> {
            pruned.incrementAndGet();
            return byImportance.prune(t, s);
        };
        DistillOptions shortRun = DistillerTest.options(4).withIntervals(2, 1, 0), fullRun = DistillerTest.options(6);
        ArchitectureSearch.Outcome out = ArchitectureSearch.search(teacher, data, tried, pruner, shortRun, fullRun, tmp.resolve("search"));

        assertEquals(2, pruned.get());
        List<ArchitectureSearch.Result> ranking = out.ranking();
        assertEquals(List.of(1, 2), ranking.stream().map(ArchitectureSearch.Result::rank).toList());
        assertTrue(ranking.get(0).valCeLoss() <= ranking.get(1).valCeLoss(), ranking.toString());
        for (ArchitectureSearch.Result r : ranking) assertTrue(r.valKdLoss() < r.prunedValKdLoss(), "distillation helped: " + r);
        NemotronConfig best = Checkpoint.load(out.best().resolve("checkpoints/step-6")).params().config();
        assertEquals(ranking.getFirst().shape(), ArchitectureSearch.Shape.of(best));
        JsonNode table = Distiller.JSON.readTree(tmp.resolve("search").resolve(ArchitectureSearch.TABLE).toFile());
        assertEquals(2, table.get("candidates").size());
        assertEquals(ranking.getFirst().valCeLoss(), table.get("candidates").get(0).get("val_ce_loss").asDouble());

        ArchitectureSearch.Outcome again = ArchitectureSearch.search(teacher, data, tried, pruner, shortRun, fullRun, tmp.resolve("search"));
        assertEquals(2, pruned.get(), "nothing pruned twice");
        assertEquals(ranking, again.ranking());

        assertThrows(IllegalStateException.class, () -> ArchitectureSearch.search(teacher, data, tried,
                (t, s) -> Parameters.initialize(tc, 1), shortRun, null, tmp.resolve("wrong")));
    }
}
