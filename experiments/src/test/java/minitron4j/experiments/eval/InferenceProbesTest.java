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
        List<GreedySamples.Sample> a = GreedySamples.generate(TinyModels.session(model), tok, prompts, 6);
        assertEquals(a, GreedySamples.generate(TinyModels.session(model), tok, prompts, 6));
        assertEquals(2, a.size());
        for (GreedySamples.Sample s : a) assertTrue(s.newTokens() >= 1 && s.newTokens() <= 6, s.toString());
        assertEquals("The whale", a.get(1).prompt());
    }
}
