package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A data folder as {@code bin/minitron4j data} writes it: {@code train.bin} and {@code val.bin}
 * (little-endian int32 ids, documents separated by EOS), {@code tokenizer.json} and
 * {@code data.json} (sources, split rule, counts, {@code vocab_size}, {@code eos_id}). The token
 * files stay mapped until {@link #close}.
 */
public final class TokenData implements AutoCloseable {
    public static final String TRAIN = "train.bin";
    public static final String VAL = "val.bin";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String INFO = "data.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Arena arena;
    private final TokenFile train;
    private final TokenFile val;
    private final JsonNode info;
    private final int vocabSize;
    private final int eosId;

    private TokenData(Path dir, Arena arena, TokenFile train, TokenFile val, JsonNode info, int vocabSize, int eosId) {
        this.dir = dir;
        this.arena = arena;
        this.train = train;
        this.val = val;
        this.info = info;
        this.vocabSize = vocabSize;
        this.eosId = eosId;
    }

    /** Opens a data folder, checking that its files are there and every id lies inside data.json's vocab_size. */
    public static TokenData open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such data folder");
        for (String f : new String[]{TRAIN, VAL, TOKENIZER, INFO})
            if (!Files.isRegularFile(dir.resolve(f)))
                throw new IOException(dir + ": data folder has no " + f + " (build one with `minitron4j data`)");
        JsonNode info;
        try {
            info = JSON.readTree(dir.resolve(INFO).toFile());
        } catch (IOException e) {
            throw new IOException(dir.resolve(INFO) + ": not valid JSON: " + e.getMessage(), e);
        }
        int vocab = requiredInt(dir.resolve(INFO), info, "vocab_size");
        int eos = requiredInt(dir.resolve(INFO), info, "eos_id");
        Arena arena = Arena.ofShared();
        try {
            TokenFile train = TokenFile.map(dir.resolve(TRAIN), arena);
            TokenFile val = TokenFile.map(dir.resolve(VAL), arena);
            checkIds(train, vocab);
            checkIds(val, vocab);
            return new TokenData(dir, arena, train, val, info, vocab, eos);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static int requiredInt(Path file, JsonNode info, String field) throws IOException {
        JsonNode n = info.get(field);
        if (n == null || !n.canConvertToInt()) throw new IOException(file + ": field " + field + " is missing or not an integer");
        return n.asInt();
    }

    private static void checkIds(TokenFile f, int vocab) throws IOException {
        for (long i = 0; i < f.length(); i++) {
            int id = f.get(i);
            if (id < 0 || id >= vocab)
                throw new IOException(f.path() + ": token " + i + " is id " + id + ", outside vocab_size " + vocab + " of " + INFO);
        }
    }

    public Path dir() {
        return dir;
    }

    public TokenFile train() {
        return train;
    }

    public TokenFile val() {
        return val;
    }

    public Path tokenizerFile() {
        return dir.resolve(TOKENIZER);
    }

    /** The parsed data.json. */
    public JsonNode info() {
        return info;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int eosId() {
        return eosId;
    }

    @Override
    public void close() {
        arena.close();
    }
}
