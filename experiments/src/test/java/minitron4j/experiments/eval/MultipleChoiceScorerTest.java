package minitron4j.experiments.eval;

import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.Nemotron;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultipleChoiceScorerTest {

    private static final HfTokenizer TOKENIZER = TinyModels.byteLevel();

    private static final MultipleChoiceTask TASK = new MultipleChoiceTask("t", List.of(
            new MultipleChoiceTask.Item("The capital of France is", List.of("Paris", "Lyon", "a small town by the sea"), 0),
            new MultipleChoiceTask.Item("Call me", List.of("Ishmael.", "Ahab", "Queequeg, the harpooneer"), 2),
            new MultipleChoiceTask.Item("Two plus two is ", List.of("four", "five"), 1)));

    /**
     * The reference: each choice alone, unpadded, in a batch of one; log-softmax summed over the
     * tokens that follow the context, with the context encoded on its own and the continuation
     * taken from the encoding of the whole text.
     */
    private static double directLogLikelihood(Nemotron model, Tokenizer tok, String context, String choice) {
        String ctx = context.stripTrailing();
        String cont = context.substring(ctx.length()) + " " + choice;
        int[] ctxIds = tok.encodeNoSpecial(ctx);
        int[] whole = tok.encodeNoSpecial(ctx + cont);
        assertArrayEquals(ctxIds, Arrays.copyOf(whole, ctxIds.length), "plain texts split at the boundary");
        int[] seq = new int[whole.length + 1];
        seq[0] = tok.eosId().orElseThrow();
        System.arraycopy(whole, 0, seq, 1, whole.length);
        return logLikelihoodOfTail(model, seq, whole.length - ctxIds.length);
    }

    /** Sum of log P(seq[i] | seq[..i]) over the last tail tokens of seq, by a forward over seq[..n-1]. */
    static double logLikelihoodOfTail(Nemotron model, int[] seq, int tail) {
        int t = seq.length - 1, v = model.config().vocabSize();
        Activations acts = model.inferenceActivations(1, t);
        model.forward(Batch.of(Arrays.copyOf(seq, t), 1, t), acts, null);
        float[] logits = acts.logits();
        double sum = 0;
        for (int i = seq.length - tail; i < seq.length; i++) {
            int row = (i - 1) * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[row + j]);
            double z = 0;
            for (int j = 0; j < v; j++) z += Math.exp(logits[row + j] - max);
            sum += logits[row + seq[i]] - max - Math.log(z);
        }
        return sum;
    }

    @Test
    void batchedScoresEqualDirectComputationPerChoice() {
        Nemotron model = TinyModels.random(TOKENIZER.vocabSize(), 128, 7);
        // Two rows per batch: choices of different lengths share batches and get padded.
        MultipleChoiceScorer scorer = new MultipleChoiceScorer(new LoglikelihoodScorer(TinyModels.session(model), 2), TOKENIZER);
        MultipleChoiceScorer.Result r = scorer.score(TASK);
        assertEquals(3, r.n());
        int correct = 0, normCorrect = 0;
        for (int i = 0; i < TASK.items().size(); i++) {
            MultipleChoiceTask.Item item = TASK.items().get(i);
            MultipleChoiceScorer.ItemScore s = r.items().get(i);
            double[] expected = new double[item.choices().size()];
            for (int c = 0; c < expected.length; c++) {
                expected[c] = directLogLikelihood(model, TOKENIZER, item.context(), item.choices().get(c));
                assertEquals(expected[c], s.logLikelihoods()[c], 1e-4 * Math.max(1, Math.abs(expected[c])), "item " + i + " choice " + c);
            }
            assertEquals(argmax(expected), s.prediction());
            if (s.correct()) correct++;
            if (s.normCorrect()) normCorrect++;
        }
        assertEquals(correct / 3.0, r.acc().estimate(), 1e-12);
        assertEquals(normCorrect / 3.0, r.accNorm().estimate(), 1e-12);
        assertTrue(r.acc().lower() <= r.acc().estimate() && r.acc().estimate() <= r.acc().upper());
    }

    @Test
    void scoresDoNotDependOnBatchSize() {
        Nemotron model = TinyModels.random(TOKENIZER.vocabSize(), 128, 3);
        MultipleChoiceScorer.Result one = new MultipleChoiceScorer(new LoglikelihoodScorer(TinyModels.session(model), 1), TOKENIZER).score(TASK);
        MultipleChoiceScorer.Result many = new MultipleChoiceScorer(new LoglikelihoodScorer(TinyModels.session(model), 16), TOKENIZER).score(TASK);
        for (int i = 0; i < TASK.items().size(); i++)
            assertArrayEquals(one.items().get(i).logLikelihoods(), many.items().get(i).logLikelihoods(), 1e-4);
    }

    @Test
    void accNormDividesByCharactersOfTheChoiceAsLmEvalDoes() {
        // acc: the higher total; acc_norm: the higher total per character.
        assertEquals(0, MultipleChoiceScorer.argmax(new double[]{-10, -12}, null));
        assertEquals(1, MultipleChoiceScorer.argmax(new double[]{-10, -12}, List.of("ab", "abcdefgh")));
        // lm-eval's len(choice) counts code points: "ééé" is 3 long (6 UTF-8 bytes), the delimiter not counted.
        assertEquals(3, MultipleChoiceScorer.choiceLength("ééé"));
        assertEquals(1, MultipleChoiceScorer.argmax(new double[]{-3.3, -4.0}, List.of("ééé", "abcd")));
        // Ties go to the first choice, as numpy.argmax.
        assertEquals(0, MultipleChoiceScorer.argmax(new double[]{-2, -2}, null));
    }

    @Test
    void longRequestsAreCutFromTheLeft() {
        Nemotron model = TinyModels.random(TOKENIZER.vocabSize(), 64, 11);
        int window = 8;
        LoglikelihoodScorer scorer = new LoglikelihoodScorer(TinyModels.session(model), 4, window);
        String context = "It is a way I have of driving off the spleen and regulating the circulation.";
        LoglikelihoodScorer.Request request = LoglikelihoodScorer.encode(TOKENIZER, context, " Whenever I find myself");
        int[] all = new int[request.context().length + request.continuation().length];
        System.arraycopy(request.context(), 0, all, 0, request.context().length);
        System.arraycopy(request.continuation(), 0, all, request.context().length, request.continuation().length);
        assertTrue(all.length > window + 1);
        int[] kept = Arrays.copyOfRange(all, all.length - window - 1, all.length);
        double expected = logLikelihoodOfTail(model, kept, request.continuation().length);
        LoglikelihoodScorer.Score s = scorer.score(List.of(request)).getFirst();
        assertEquals(expected, s.logLikelihood(), 1e-4 * Math.abs(expected));
        assertEquals(request.continuation().length, s.tokens());
    }

    @Test
    void continuationLongerThanTheWindowIsRefused() {
        Nemotron model = TinyModels.random(TOKENIZER.vocabSize(), 64, 11);
        LoglikelihoodScorer scorer = new LoglikelihoodScorer(TinyModels.session(model), 4, 4);
        var request = new LoglikelihoodScorer.Request(new int[]{1}, new int[]{5, 6, 7, 8, 9});
        var e = assertThrows(IllegalArgumentException.class, () -> scorer.score(List.of(request)));
        assertTrue(e.getMessage().contains("does not fit a window of 4"), e.getMessage());
    }

    @Test
    void encodingMovesTrailingSpacesAndStartsWithTheDocumentToken() {
        LoglikelihoodScorer.Request a = LoglikelihoodScorer.encode(TOKENIZER, "Call me ", "Ishmael");
        LoglikelihoodScorer.Request b = LoglikelihoodScorer.encode(TOKENIZER, "Call me", " Ishmael");
        assertArrayEquals(a.context(), b.context());
        assertArrayEquals(a.continuation(), b.continuation());
        // Byte-level GPT-2 style: no BOS post-processor, so documents start after EOS as in the data folders.
        assertEquals(TOKENIZER.eosId().orElseThrow(), a.context()[0]);
        HfTokenizer sp = TinyModels.sentencePiece();
        assertEquals(sp.bosId().orElseThrow(), LoglikelihoodScorer.encode(sp, "Call me", " Ishmael").context()[0]);
    }

    @Test
    void greedyFlagMarksContinuationsThatArgmaxDecodingProduces() {
        Nemotron model = TinyModels.random(TOKENIZER.vocabSize(), 64, 5);
        int[] context = {TOKENIZER.eosId().orElseThrow(), 100, 200};
        // The model's own argmax continuation of the context, found one token at a time.
        int[] seq = context.clone();
        for (int step = 0; step < 3; step++) {
            Activations acts = model.inferenceActivations(1, seq.length);
            model.forward(Batch.of(seq, 1, seq.length), acts, null);
            int v = model.config().vocabSize();
            int best = minitron4j.model.Sampler.argmax(acts.logits(), (seq.length - 1) * v, v);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        int[] greedyTail = Arrays.copyOfRange(seq, 3, 6);
        int[] otherTail = greedyTail.clone();
        otherTail[2] = (otherTail[2] + 1) % model.config().vocabSize();
        List<LoglikelihoodScorer.Score> s = new LoglikelihoodScorer(TinyModels.session(model), 2).score(List.of(
                new LoglikelihoodScorer.Request(context, greedyTail), new LoglikelihoodScorer.Request(context, otherTail)));
        assertTrue(s.get(0).greedy());
        assertTrue(!s.get(1).greedy());
        assertTrue(s.get(0).logLikelihood() > s.get(1).logLikelihood());
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
