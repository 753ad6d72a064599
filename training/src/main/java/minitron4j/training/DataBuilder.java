package minitron4j.training;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.io.FolderLock;
import minitron4j.model.io.AtomicWrites;
import minitron4j.model.tokenizer.BpeTrainer;
import minitron4j.model.tokenizer.ByteTokenizer;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Builds a data folder ({@link TokenData}) from text: every file is one document; a folder
 * contributes its {@code *.txt} files in name order (so the {@code .json} twins of the sotu
 * package are skipped). Documents are split into train and validation whole, the validation ones
 * chosen by a seeded shuffle; each document is encoded without special tokens and followed by the
 * tokenizer's EOS. data.json records the sources, the split, the counts and the unigram entropy of
 * the training tokens (the loss of the best model that ignores context).
 */
public final class DataBuilder {
    /** data.json key: entropy (nats) of the unigram distribution of train.bin. */
    public static final String UNIGRAM_ENTROPY = "unigram_entropy_nats";
    /** data.json key: mean CE (nats) of val.bin under the add-one-smoothed unigram model of train.bin. */
    public static final String VAL_UNIGRAM_CE = "val_unigram_ce_nats";

    /** What was built. */
    public record Summary(Path dir, int trainDocuments, int valDocuments, long trainTokens, long valTokens,
                          int vocabSize, double unigramEntropy, double valUnigramCe) {
    }

    private DataBuilder() {}

    /**
     * Tokenizes texts into the data folder out (which must not exist or be empty).
     *
     * @param tokenizerSpec {@code bytes}, {@code bpe:VOCAB} (trained on the training split) or the path of a tokenizer.json
     * @param valFraction   share of documents held out for validation (at least one when > 0)
     */
    public static Summary build(List<Path> texts, String tokenizerSpec, double valFraction, long seed, Path out)
            throws IOException {
        if (!(valFraction >= 0 && valFraction < 1))
            throw new IllegalArgumentException("--val-fraction must lie in [0, 1), got " + valFraction);
        try (FolderLock lock = FolderLock.beside(out, "data")) {
            return buildOwned(texts, tokenizerSpec, valFraction, seed, out);
        }
    }

    private static Summary buildOwned(List<Path> texts, String tokenizerSpec, double valFraction, long seed, Path out)
            throws IOException {
        if (Files.exists(out) && (!Files.isDirectory(out) || !isEmpty(out)))
            throw new IOException(out + " already exists and is not an empty folder");
        List<Path> files = documents(texts);
        List<String> docs = new ArrayList<>();
        for (Path f : files) docs.add(readUtf8(f));
        if (docs.stream().allMatch(String::isBlank))
            throw new IllegalArgumentException("no text in " + files.size() + " file" + (files.size() == 1 ? "" : "s")
                    + " (" + texts + "): every one is empty or blank; a data set needs documents");
        boolean[] isVal = split(files.size(), valFraction, seed);

        List<String> trainTexts = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) if (!isVal[i]) trainTexts.add(docs.get(i));
        Tokenizer tokenizer = tokenizer(tokenizerSpec, trainTexts);
        int vocab = tokenizer.vocabSize();
        int eos = tokenizer.eosId().orElseThrow(() -> new IllegalArgumentException("tokenizer " + tokenizerSpec
                + " has no end-of-sequence token, which separates the documents"));

        long[] trainCounts = new long[vocab], valCounts = new long[vocab];
        long[] tokens = new long[2]; // train, val
        ArrayNode sources = RunFolder.JSON.createArrayNode();
        AtomicWrites.replaceDirectory(out, tmp -> {
            try (FileChannel train = FileChannel.open(tmp.resolve(TokenData.TRAIN), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 FileChannel val = FileChannel.open(tmp.resolve(TokenData.VAL), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int i = 0; i < docs.size(); i++) {
                    int[] ids = tokenizer.encodeNoSpecial(docs.get(i));
                    long[] counts = isVal[i] ? valCounts : trainCounts;
                    for (int id : ids) counts[id]++;
                    counts[eos]++;
                    writeIds(isVal[i] ? val : train, ids, eos);
                    tokens[isVal[i] ? 1 : 0] += ids.length + 1;
                    ObjectNode s = sources.addObject();
                    s.put("path", files.get(i).toAbsolutePath().toString());
                    s.put("bytes", Files.size(files.get(i)));
                    s.put("split", isVal[i] ? "val" : "train");
                    s.put("tokens", ids.length + 1);
                }
            }
            tokenizer.save(tmp.resolve(TokenData.TOKENIZER));
            RunFolder.JSON.writeValue(tmp.resolve(TokenData.INFO).toFile(),
                    info(tokenizerSpec, vocab, eos, seed, valFraction, isVal, tokens, trainCounts, valCounts, sources));
        });
        int valDocs = count(isVal);
        return new Summary(out, docs.size() - valDocs, valDocs, tokens[0], tokens[1], vocab,
                unigramEntropy(trainCounts, tokens[0]), unigramCrossEntropy(valCounts, tokens[1], trainCounts, tokens[0]));
    }

    private static ObjectNode info(String tokenizerSpec, int vocab, int eos, long seed, double valFraction,
                                   boolean[] isVal, long[] tokens, long[] trainCounts, long[] valCounts,
                                   ArrayNode sources) {
        ObjectNode info = RunFolder.JSON.createObjectNode();
        info.put("tokenizer", tokenizerSpec);
        info.put("vocab_size", vocab);
        info.put("eos_id", eos);
        ObjectNode rule = info.putObject("split");
        rule.put("rule", "whole documents; the validation ones are the first round(val_fraction * documents)"
                + " (at least 1) of a seeded shuffle; each document is followed by eos_id");
        rule.put("seed", seed);
        rule.put("val_fraction", valFraction);
        info.put("train_documents", isVal.length - count(isVal));
        info.put("val_documents", count(isVal));
        info.put("train_tokens", tokens[0]);
        info.put("val_tokens", tokens[1]);
        info.put(UNIGRAM_ENTROPY, unigramEntropy(trainCounts, tokens[0]));
        info.put(VAL_UNIGRAM_CE, unigramCrossEntropy(valCounts, tokens[1], trainCounts, tokens[0]));
        info.set("sources", sources);
        return info;
    }

    /**
     * bytes: the byte tokenizer; bpe:VOCAB: byte-level BPE trained on the training documents; else
     * the path of an HF tokenizer.json.
     */
    static Tokenizer tokenizer(String spec, List<String> trainingTexts) {
        if (spec.equals("bytes")) return ByteTokenizer.create();
        if (spec.startsWith("bpe:")) {
            int vocab;
            try {
                vocab = Integer.parseInt(spec.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tokenizer " + spec + ": VOCAB of bpe:VOCAB must be an integer");
            }
            return new BpeTrainer(vocab).train(trainingTexts);
        }
        Path file = Path.of(spec);
        if (!Files.isRegularFile(file))
            throw new IllegalArgumentException("--tokenizer " + spec + ": expected bytes, bpe:VOCAB or a tokenizer.json file");
        return HfTokenizer.load(file);
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) if (f) n++;
        return n;
    }

    /** The document files: each file argument itself, each folder's *.txt files in name order. */
    static List<Path> documents(List<Path> texts) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : texts) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    List<Path> txt = s.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".txt"))
                            .sorted().toList();
                    if (txt.isEmpty()) throw new IOException(p + ": folder holds no *.txt files");
                    files.addAll(txt);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new IOException(p + ": no such file or folder");
            }
        }
        if (files.isEmpty()) throw new IOException("no text given");
        return files;
    }

    /** isVal[i] for n documents: round(fraction * n) of them (at least 1 when fraction > 0), chosen by seed. */
    static boolean[] split(int n, double fraction, long seed) {
        int nVal = fraction > 0 ? Math.max(1, (int) Math.round(fraction * n)) : 0;
        if (nVal >= n && nVal > 0)
            throw new IllegalArgumentException(n + " document(s) cannot be split with --val-fraction " + fraction
                    + ": the training split would be empty");
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] isVal = new boolean[n];
        for (int i = 0; i < nVal; i++) isVal[order[i]] = true;
        return isVal;
    }

    static double unigramEntropy(long[] counts, long total) {
        double h = 0;
        for (long c : counts) if (c > 0) h -= (double) c / total * Math.log((double) c / total);
        return h;
    }

    /** Mean -log p(token) over counts, p the add-one-smoothed unigram distribution of reference. */
    static double unigramCrossEntropy(long[] counts, long total, long[] reference, long referenceTotal) {
        if (total == 0) return Double.NaN;
        double sum = 0, denominator = referenceTotal + reference.length;
        for (int i = 0; i < counts.length; i++)
            if (counts[i] > 0) sum -= counts[i] * Math.log((reference[i] + 1) / denominator);
        return sum / total;
    }

    private static void writeIds(FileChannel ch, int[] ids, int eos) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((ids.length + 1) * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(ids).put(eos);
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static String readUtf8(Path f) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(f + ": not valid UTF-8 text", e);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
