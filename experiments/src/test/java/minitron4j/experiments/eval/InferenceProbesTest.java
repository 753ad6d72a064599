package minitron4j.experiments.eval;

import minitron4j.model.Nemotron;
import minitron4j.model.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferenceProbesTest {

    @Test
    void speedProbeReportsMediansOfPositiveRates() {
        Nemotron model = TinyModels.random(512, 64, 1);
        SpeedProbe.Result r = SpeedProbe.measure(TinyModels.session(model), new SpeedProbe.Settings(2, 16, 8, 8, 3, 0));
        assertEquals(3, r.forwardSamples().length);
        assertTrue(r.forwardTokensPerSecond() > 0 && r.decodeTokensPerSecond() > 0);
        assertEquals(SpeedProbe.median(r.forwardSamples()), r.forwardTokensPerSecond());
        assertEquals(2.5, SpeedProbe.median(new double[]{4, 1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> SpeedProbe.measure(TinyModels.session(model), new SpeedProbe.Settings(1, 65, 8, 8, 1, 0)));
        SpeedProbe.Settings d = SpeedProbe.Settings.defaults(model.config());
        assertTrue(d.seq() <= 64 && d.promptLength() + d.decodeTokens() <= 64);
    }

    @Test
    void greedySamplesAreDeterministicAndBounded() {
        HfTokenizer tok = TinyModels.byteLevel();
        Nemotron model = TinyModels.random(tok.vocabSize(), 64, 2);
        List<String> prompts = List.of("Call me Ishmael.", "The whale");
        List<PromptSamples.Sample> a = PromptSamples.generate(TinyModels.session(model), tok, prompts, 6);
        assertEquals(a, PromptSamples.generate(TinyModels.session(model), tok, prompts, 6));
        assertEquals(2, a.size());
        for (PromptSamples.Sample s : a) assertTrue(s.newTokens() >= 1 && s.newTokens() <= 6, s.toString());
        assertEquals("The whale", a.get(1).prompt());
    }

    @Test
    void repeatedTrigramShareCountsTrigramsSeenEarlierInTheSameSample() {
        var looping = new PromptSamples.Sample("p", " the United States, and the United States, and the", 9);
        // 9 words, 7 word 3-grams; the 3 from the second "the United States," on repeat earlier ones
        assertEquals(3.0 / 7, PromptSamples.repeatedTrigramShare(List.of(looping)), 1e-12);
        var fresh = new PromptSamples.Sample("p", "one two three four", 4);
        assertEquals(3.0 / 9, PromptSamples.repeatedTrigramShare(List.of(looping, fresh)), 1e-12, "pooled over samples");
        assertTrue(Double.isNaN(PromptSamples.repeatedTrigramShare(List.of(new PromptSamples.Sample("p", "two words", 2)))));
    }
}
