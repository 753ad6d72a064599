package minitron4j.model.loss;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntermediateStateLossTest {

    static NemotronConfig config(int hidden, int layers) {
        return new NemotronConfig(29, hidden, 24, layers, 2, 1, 8, 0.5, 10000, 1e-5, 64, false, 2, 3, 0, 0.3, null, null);
    }

    /**
     * The gradient through the model's norm-output hook and the learned projection, against central
     * finite differences of the loss itself: pairs at an inner layer (input_layernorm output) and at
     * the last one (model.norm output).
     */
    @ParameterizedTest
    @ValueSource(ints = {12, 16})
    void gradientMatchesFiniteDifferences(int studentHidden) {
        NemotronConfig tc = config(16, 3), sc = config(studentHidden, 2);
        Nemotron teacher = new Nemotron(Parameters.initialize(tc, 21));
        Parameters sp = Parameters.initialize(sc, 22);
        SplittableRandom r = new SplittableRandom(5);
        for (Tensor t : sp.tensors()) // non-trivial norm weights so their gradients are tested too
            if (t.name().contains("norm")) for (int i = 0; i < t.size(); i++) t.data()[i] = (float) (r.nextDouble() - 0.5) * 0.4f;
        Nemotron student = new Nemotron(sp);
        int[] ids = new int[14];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(tc.vocabSize());
        Batch batch = new Batch(ids, 2, 7, new int[]{7, 4});
        List<LayerPair> pairs = List.of(new LayerPair(1, 2), new LayerPair(2, 3));
        FrozenTeacher frozen = new FrozenTeacher(teacher, 2, 7, IntermediateStateLoss.teacherIndices(pairs));
        IntermediateStateLoss is = new IntermediateStateLoss(sc, frozen, pairs, 2, 7, 9);
        assertEquals(studentHidden == 16 ? 0 : 2, is.projections().size());
        Activations acts = student.trainingActivations(2, 7);
        frozen.logits(batch);

        student.forward(batch, acts, is.studentObserver());
        double loss = is.loss(batch, acts);
        assertTrue(loss > 0.05, "the models differ: is_loss " + loss);
        Parameters grads = Parameters.zeros(sc);
        student.backward(batch, acts, new float[acts.logits().length], grads, is.gradient(1f));

        List<Tensor> checked = new ArrayList<>(sp.tensors());
        List<Tensor> gradients = new ArrayList<>(grads.tensors());
        for (TrainableTensor p : is.projections()) {
            checked.add(p.value());
            gradients.add(p.gradient());
        }
        for (int k = 0; k < checked.size(); k++) {
            Tensor t = checked.get(k);
            if (t.name().equals(Parameters.LM_HEAD)) continue; // the logits take no part in L_is
            float[] g = gradients.get(k).data();
            double max = 0;
            for (float x : g) max = Math.max(max, Math.abs(x));
            assertTrue(max > 0, t.name() + " has an all-zero gradient");
            for (int trial = 0; trial < 5; trial++) {
                int i = r.nextInt(t.size());
                float saved = t.data()[i];
                float h = 1e-2f;
                t.data()[i] = saved + h;
                student.forward(batch, acts, is.studentObserver());
                double up = is.loss(batch, acts);
                t.data()[i] = saved - h;
                student.forward(batch, acts, is.studentObserver());
                double down = is.loss(batch, acts);
                t.data()[i] = saved;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[i], 3e-3 * max + 2e-6, t.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void aTeacherStateNotKeptIsNamed() {
        Parameters p = Parameters.initialize(config(16, 2), 1);
        FrozenTeacher frozen = new FrozenTeacher(new Nemotron(p), 1, 4, List.of(2));
        var kept = assertThrows(IllegalArgumentException.class, () -> new IntermediateStateLoss(p.config(), frozen,
                List.of(new LayerPair(1, 1)), 1, 4, 0));
        assertTrue(kept.getMessage().contains("teacher hidden state 1 was not kept"), kept.getMessage());
        assertEquals("[2]", Arrays.toString(IntermediateStateLoss.teacherIndices(List.of(new LayerPair(1, 2), new LayerPair(2, 2))).toArray()));
    }
}
