package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.training.Corpora;
import minitron4j.training.DataBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Text files to a token data folder (train.bin, val.bin, tokenizer.json, data.json). */
@Command(name = "data", description = "Tokenize text files or folders into a data folder.")
final class DataCommand implements Callable<Integer> {
    @Option(names = "--text", required = true, arity = "1..*",
            description = "text files or folders (*.txt); 'sotu' = the State of the Union corpus (npm, cached)")
    List<String> texts;
    @Option(names = "--tokenizer", required = true, description = "bytes | bpe:VOCAB | path/to/tokenizer.json")
    String tokenizer;
    @Option(names = "--val-fraction", defaultValue = "0.05")
    double valFraction;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--out", required = true)
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Path> paths = new ArrayList<>();
        for (String t : texts) paths.add(t.equals("sotu") ? Corpora.sotu() : Path.of(t));
        DataBuilder.Summary s = DataBuilder.build(paths, tokenizer, valFraction, seed, out);
        System.err.printf("%s: %d train / %d val documents, %,d / %,d tokens, vocab %d, unigram entropy %.3f nats%n",
                s.dir(), s.trainDocuments(), s.valDocuments(), s.trainTokens(), s.valTokens(), s.vocabSize(),
                s.unigramEntropy());
        ObjectNode o = JsonOutput.object();
        o.put("dir", s.dir().toString());
        o.put("train_tokens", s.trainTokens());
        o.put("val_tokens", s.valTokens());
        o.put("vocab_size", s.vocabSize());
        o.put("unigram_entropy_nats", s.unigramEntropy());
        JsonOutput.print(o);
        return 0;
    }
}
