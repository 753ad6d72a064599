package minitron4j.training;

import minitron4j.model.AdamWSettings;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerStateTest {
    static final NemotronConfig TINY = NemotronConfig.of(11, 8, 6, 1, 2, 1, 4, true);

    @Test
    void stateRoundTripsThroughAFile(@TempDir Path dir) throws Exception {
        Parameters params = Parameters.initialize(TINY, 7);
        OptimizerState opt = new OptimizerState(params, AdamWSettings.of(0.9, 0.95, 1e-8, 0.1));
        opt.expAvg().copyFrom(Parameters.initialize(TINY, 8));
        opt.expAvgSq().copyFrom(Parameters.initialize(TINY, 9));
        opt.countStep();
        opt.countStep();
        Path file = dir.resolve("optimizer.safetensors");
        opt.save(file);

        OptimizerState back = new OptimizerState(params.copy(), opt.settings());
        back.load(file);
        assertEquals(2, back.step());
        for (Tensor t : opt.expAvg().tensors()) {
            assertArrayEquals(t.data(), back.expAvg().data(t.name()), t.name());
            assertArrayEquals(opt.expAvgSq().data(t.name()), back.expAvgSq().data(t.name()), t.name());
        }

        OptimizerState other = new OptimizerState(Parameters.zeros(TINY.withShape(8, 2, 1, 7, 1)), opt.settings());
        Exception e = assertThrows(java.io.IOException.class, () -> other.load(file));
        assertTrue(e.getMessage().contains("exp_avg.model.layers.0.mlp.up_proj.weight"), e.getMessage());
    }

    /** Extra tensors' moments are saved and restored beside the model's, under their own names. */
    @Test
    void extraTensorsRoundTripBesideTheModels(@TempDir Path dir) throws Exception {
        Parameters params = Parameters.initialize(TINY, 10);
        TrainableTensor extra = TrainableTensor.of(Tensor.zeros("projection.weight", 3, 5));
        AdamWSettings noDecay = AdamWSettings.of(0.9, 0.95, 1e-8, 0);
        OptimizerState opt = new OptimizerState(params, List.of(extra), noDecay);
        for (int i = 0; i < 15; i++) {
            opt.extraExpAvg().getFirst().data()[i] = i;
            opt.extraExpAvgSq().getFirst().data()[i] = 2 * i;
        }
        Path file = dir.resolve("optimizer.safetensors");
        opt.save(file);
        OptimizerState back = new OptimizerState(params.copy(), List.of(TrainableTensor.of(Tensor.zeros("projection.weight", 3, 5))),
                noDecay);
        back.load(file);
        assertArrayEquals(opt.extraExpAvg().getFirst().data(), back.extraExpAvg().getFirst().data());
        assertArrayEquals(opt.extraExpAvgSq().getFirst().data(), back.extraExpAvgSq().getFirst().data());

        OptimizerState without = new OptimizerState(params.copy(), List.of(TrainableTensor.of(Tensor.zeros("other.weight", 3, 5))),
                noDecay);
        Exception missing = assertThrows(java.io.IOException.class, () -> without.load(file));
        assertTrue(missing.getMessage().contains("exp_avg.other.weight"), missing.getMessage());

        String twin = "model.layers.0.mlp.up_proj.weight";
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> new OptimizerState(params, List.of(TrainableTensor.of(params.get(twin).copy())), noDecay));
        assertTrue(e.getMessage().contains("clashes"), e.getMessage());
    }
}
