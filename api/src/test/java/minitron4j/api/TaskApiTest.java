package minitron4j.api;

import minitron4j.model.Architecture;
import minitron4j.training.TrainingSummary;
import minitron4j.training.task.FinetuneSpec;
import minitron4j.training.task.TaskFixtures;
import minitron4j.training.task.TaskInference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fine-tuning and using a task head from Java: the road the finetune and classify commands take. */
class TaskApiTest {
    @Test
    void finetuneThenClassifyThroughTheApi(@TempDir Path dir) throws Exception {
        Path lm = TaskFixtures.byteLm(dir.resolve("lm"));
        Path data = TaskFixtures.letters(dir.resolve("train.jsonl"), 64, 1);
        FinetuneSpec spec = new FinetuneSpec("sequence-classification", lm, data, null, 24, 4, 16, 3e-3, 0, 0, 1.0, 1, 0, 0, 1);
        TrainingSummary s = Minitron.finetune(spec, dir.resolve("run"), false, Minitron.backend("cpu"));
        try (OpenModel m = Minitron.open(s.lastCheckpoint(), Minitron.backend("cpu"))) {
            assertEquals(Architecture.SEQUENCE_CLASSIFICATION, m.config().architecture());
            List<TaskInference.Classification> c = m.classify("xxxxxx", "yyyy");
            assertEquals("x", c.get(0).label());
            assertEquals("y", c.get(1).label());
            assertTrue(c.get(0).probabilities()[0] > 0.5, "p(x) " + c.get(0).probabilities()[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.answer("who?", "bob"));
            assertTrue(e.getMessage().contains("NemotronForQuestionAnswering"), e.getMessage());
        }
    }
}
