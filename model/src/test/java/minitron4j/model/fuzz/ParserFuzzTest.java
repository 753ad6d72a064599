package minitron4j.model.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import minitron4j.model.Fixtures;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.TorchCheckpointReader;
import minitron4j.model.tokenizer.HfTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mutated safetensors headers, config.json files, tokenizer.json files and pickles: every outcome
 * is a result or the project's own error with a message, never another exception or an unbounded
 * allocation (the test JVM's heap is 4 GB; a header claiming terabytes must be refused unread).
 * Inputs per parser: {@link Fuzz} ({@code -Dfuzz.tries}, 300 in CI).
 */
class ParserFuzzTest {
    private static Path dir;
    private static byte[] safetensorsHeader, safetensorsData, config, tokenizer;
    private static Map<String, byte[]> torchEntries;

    @BeforeAll
    static void readSeeds() throws IOException {
        dir = Fuzz.folder("fuzz");
        byte[] st = Files.readAllBytes(Fixtures.hfNemotron("tiny-gqa").resolve("model.safetensors"));
        int headerEnd = 8 + (int) ByteBuffer.wrap(st, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        safetensorsHeader = java.util.Arrays.copyOfRange(st, 8, headerEnd);
        safetensorsData = java.util.Arrays.copyOfRange(st, headerEnd, st.length);
        config = Files.readAllBytes(Fixtures.hfNemotron("tiny-gqa").resolve("config.json"));
        tokenizer = Files.readAllBytes(Fixtures.hfTokenizers("bytelevel").resolve("tokenizer.json"));
        torchEntries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(Fixtures.hfFormats("bin-fp32").resolve("pytorch_model.bin").toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries()))
                try (InputStream in = zip.getInputStream(e)) {
                    torchEntries.put(e.getName(), in.readAllBytes());
                }
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        Fuzz.delete(dir);
    }

    @Test
    void safetensorsHeaders() {
        Fuzz.forEachSeed(this::safetensorsHeadersInput);
    }

    private void safetensorsHeadersInput(long seed) throws IOException {
        // The 8-byte length and the JSON header mutate; the tensor bytes stay (their offsets may not).
        byte[] header = Mutator.json(safetensorsHeader, seed);
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + safetensorsData.length).order(ByteOrder.LITTLE_ENDIAN);
        long length = new java.util.Random(seed).nextInt(8) == 0 ? new java.util.Random(seed + 1).nextLong() : header.length;
        file.putLong(length).put(header).put(safetensorsData);
        Path f = dir.resolve("model.safetensors");
        Files.write(f, file.array());
        outcome(() -> {
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                for (String name : st.names()) st.readFloats(name);
            }
        });
    }

    @Test
    void configFiles() {
        Fuzz.forEachSeed(this::configFilesInput);
    }

    private void configFilesInput(long seed) throws IOException {
        Path f = dir.resolve("config.json");
        Files.write(f, Mutator.json(config, seed));
        outcome(() -> NemotronConfig.load(f));
    }

    @Test
    void tokenizerFiles() {
        Fuzz.forEachSeed(this::tokenizerFilesInput);
    }

    private void tokenizerFilesInput(long seed) throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.write(f, Mutator.json(tokenizer, seed));
        outcome(() -> {
            HfTokenizer t = HfTokenizer.load(f);
            int[] ids = t.encode("Hello, world! 123 ünïcödé \u4f60\u597d");
            t.decode(ids, false);
        });
    }

    @Test
    void pickles() {
        Fuzz.forEachSeed(this::picklesInput);
    }

    private void picklesInput(long seed) throws IOException {
        Path f = dir.resolve("pytorch_model.bin");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : torchEntries.entrySet()) {
                byte[] content = e.getKey().endsWith("data.pkl") ? Mutator.bytes(e.getValue(), seed) : e.getValue();
                zip.putNextEntry(storedEntry(e.getKey(), content));
                zip.write(content);
                zip.closeEntry();
            }
        }
        Files.write(f, bytes.toByteArray());
        outcome(() -> {
            try (TorchCheckpointReader r = TorchCheckpointReader.open(f)) {
                for (String name : r.names()) r.readFloats(name);
            }
        });
    }

    /** Uncompressed, as torch.save writes its archives (and no deflating, which took most of each try). */
    private static ZipEntry storedEntry(String name, byte[] content) {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setCrc(crc.getValue());
        return entry;
    }

    interface Parse {
        void run() throws IOException;
    }

    /** A result, or the project's error for a bad file (ModelFormatException) with a message; anything else fails the property. */
    static void outcome(Parse parse) throws IOException {
        try {
            parse.run();
        } catch (ModelFormatException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error without a message");
        }
    }
}
