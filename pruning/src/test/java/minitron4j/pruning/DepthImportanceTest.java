package minitron4j.pruning;

import minitron4j.model.Activations;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DepthImportanceTest {
    private static final CpuBackend CPU = new CpuBackend();

    @Test
    void calibrationLossIsTheTokenWeightedCrossEntropy() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 31);
        List<Batch> batches = TinyModels.batches(3); // 6 + 3 and 4 + 0 + 2 predicted positions
        Nemotron model = new Nemotron(p);
        double sum = 0;
        int count = 0;
        for (Batch b : batches) {
            Activations acts = model.trainingActivations(b.batch(), b.seq());
            int predicted = minitron4j.kernels.CrossEntropy.count(b.nextTokenTargets(), b.tokens());
            sum += model.crossEntropyStep(b, acts, Parameters.zeros(c), 1f) * predicted;
            count += predicted;
        }
        assertEquals(15, count);
        assertEquals(sum / count, DepthImportance.calibrationLoss(CPU, p, batches), 1e-6);
    }

    @Test
    void skippingALayerEqualsPruningItAway() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 32);
        List<Batch> batches = TinyModels.batches(4);
        double base = DepthImportance.calibrationLoss(CPU, p, batches);
        double[] one = DepthImportance.layerLossIncrease(CPU, p, batches);
        double[] block = DepthImportance.blockLossIncrease(CPU, p, batches, 2);
        assertEquals(3, one.length);
        assertEquals(2, block.length);
        Parameters without1 = Trimmer.apply(p, PruningPlan.of(c, null, PruningTarget.keepAll().withDropLayers(1),
                PruningOptions.defaults().withRandomSeed(0L)));
        assertEquals(DepthImportance.calibrationLoss(CPU, without1, batches) - base, one[1], 0);
        Parameters without12 = Trimmer.apply(p, PruningPlan.of(c, null, PruningTarget.keepAll().withDropLayers(1, 2),
                PruningOptions.defaults().withRandomSeed(0L)));
        assertEquals(DepthImportance.calibrationLoss(CPU, without12, batches) - base, block[1], 0);
        assertEquals("block length 3 must be 1..2 for a model of 3 layers (one layer must remain)",
                assertThrows(IllegalArgumentException.class, () -> DepthImportance.blockLossIncrease(CPU, p, batches, 3)).getMessage());
        assertEquals(base, DepthImportance.calibrationLoss(CPU, p, batches), 0, "the source model is untouched");
    }
}
