package minitron4j.training;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluatorTest {

    /** Batched, padded evaluation equals the token-weighted mean of each window scored alone. */
    @Test
    void tokenWeightedMeanOverNonOverlappingWindows(@TempDir Path dir) throws Exception {
        NemotronConfig c = NemotronConfig.of(TinyData.VOCAB, 16, 24, 2, 2, 1, 8, false);
        Parameters params = Parameters.initialize(c, 1);
        Nemotron model = new Nemotron(params);
        // 5 full windows of 8 and a tail of 5: batches of 4 leave a partial last batch
        try (TokenData data = TokenData.open(TinyData.write(dir, 100, 5 * 8 + 5));
             Backend.Session session = new CpuBackend().open(params)) {
            Evaluator.Result r = new Evaluator(session, 8, 4).evaluate(data.val(), Long.MAX_VALUE);
            assertEquals(6, r.windows());
            assertEquals(5 * 7 + 4, r.tokens());
            double[] windowLoss = new double[6];
            double sum = 0;
            for (int w = 0; w < 6; w++) {
                int len = w < 5 ? 8 : 5;
                int[] ids = new int[len];
                data.val().read(w * 8L, ids, 0, len);
                Batch b = Batch.of(ids, 1, len);
                var acts = model.inferenceActivations(1, len);
                model.forward(b, acts, null);
                windowLoss[w] = CrossEntropy.forward(acts.logits(), b.nextTokenTargets(), len, c.vocabSize(), null) * (len - 1);
                sum += windowLoss[w];
            }
            assertEquals(sum / r.tokens(), r.ceLoss(), 1e-5);
            for (int w = 0; w < 6; w++) {
                assertEquals(windowLoss[w], r.windowCeSums()[w], 1e-4, "window " + w + "'s summed CE");
                assertEquals(w < 5 ? 7 : 4, r.windowTokens()[w], "window " + w + "'s predicted positions");
            }
            assertEquals(Math.exp(r.ceLoss()), r.perplexity(), 1e-9);
            assertEquals(Math.log(TinyData.VOCAB), r.ceLoss(), 0.2, "an untrained model is near uniform");

            // one batch of 4 takes windows floor(j * 6 / 4) = 0, 1, 3, 4: spread over the file
            Evaluator.Result spread = new Evaluator(session, 8, 4).evaluate(data.val(), 1);
            assertEquals(4, spread.windows());
            assertEquals(4 * 7, spread.tokens());
            double expected = (windowLoss[0] + windowLoss[1] + windowLoss[3] + windowLoss[4]) / (4 * 7);
            assertEquals(expected, spread.ceLoss(), 1e-5);
            assertEquals(windowLoss[3], spread.windowCeSums()[2], 1e-4, "the third window evaluated is window 3");
            // two batches cover all six windows: the same as the full evaluation
            assertEquals(r.ceLoss(), new Evaluator(session, 8, 4).evaluate(data.val(), 2).ceLoss(), 0.0);
        }
    }

    @Test
    void idsOutsideTheVocabularyAreRefusedOnOpen(@TempDir Path dir) throws Exception {
        TinyData.write(dir, 100, 20);
        TinyData.writeIds(dir.resolve(TokenData.VAL), new int[]{1, 2, TinyData.VOCAB});
        var e = assertThrows(java.io.IOException.class, () -> TokenData.open(dir));
        assertTrue(e.getMessage().contains("val.bin") && e.getMessage().contains("token 2"), e.getMessage());
        Files.delete(dir.resolve(TokenData.INFO));
        e = assertThrows(java.io.IOException.class, () -> TokenData.open(dir));
        assertTrue(e.getMessage().contains("data.json"), e.getMessage());
    }
}
