package minitron4j.experiments.eval;

import minitron4j.model.Fixtures;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.tokenizer.HfTokenizer;

/** A random tiny Nemotron over the byte-level fixture tokenizer, with weights large enough for peaked predictions. */
final class TinyModels {
    private TinyModels() {
    }

    static HfTokenizer byteLevel() {
        return HfTokenizer.load(Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json"));
    }

    /** The SentencePiece-style fixture, whose post-processor puts BOS in front. */
    static HfTokenizer sentencePiece() {
        return HfTokenizer.load(Fixtures.hfTokenizers("spbpe").resolve("tokenizer.json"));
    }

    static Nemotron random(int vocab, int maxPositions, long seed) {
        NemotronConfig c = new NemotronConfig(vocab, 32, 64, 2, 4, 2, 8, 0.5, 10000.0, 1e-5, maxPositions,
                false, 1, 0, 0, 0.3, null, null);
        return new Nemotron(Parameters.initialize(c, seed));
    }

    /** A CPU backend session on the model's own parameters: what the scorers and probes run on. */
    static Backend.Session session(Nemotron model) {
        return new CpuBackend().open(model.parameters());
    }
}
