package minitron4j.model.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ByteTokenizerTest {
    private final HfTokenizer bytes = ByteTokenizer.create();

    private static int[] utf8(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    @Test
    void idsAreTheUtf8BytesAndNothingIsAdded() {
        for (String text : new String[] {"", "Hello world", "  tabs\tand\nnewlines ", "naïve café — “quotes”",
                "数字 🙂🚀", "\u00a0zero\u200bwidth", "<0x41> is text"}) {
            assertArrayEquals(utf8(text), bytes.encode(text), text);
            assertArrayEquals(utf8(text), bytes.encodeNoSpecial(text), text);
            assertEquals(text, bytes.decode(bytes.encode(text), false), text);
        }
    }

    @Test
    void specialTokensFollowTheBytes() {
        assertEquals(ByteTokenizer.VOCAB_SIZE, bytes.vocabSize());
        assertEquals(OptionalInt.of(ByteTokenizer.BOS_ID), bytes.bosId());
        assertEquals(OptionalInt.of(ByteTokenizer.EOS_ID), bytes.eosId());
        assertEquals(OptionalInt.of(ByteTokenizer.PAD_ID), bytes.tokenToId("<pad>"));
        assertArrayEquals(new int[] {256, 'a', 257, 258}, bytes.encode("<s>a</s><pad>"));
        assertEquals("a", bytes.decode(new int[] {256, 'a', 257, 258}, true));
        assertEquals("<s>a</s>", bytes.decode(new int[] {256, 'a', 257}, false));
        assertEquals("a", bytes.idToToken('a'));
        assertEquals("Ġ", bytes.idToToken(' '));
    }

    @Test
    void onlyIllFormedBytesAreReplacedWhenDecoding() {
        // E6 95 begins 数: cut short it is one ill-formed part, the text around it survives
        assertEquals("a\uFFFDb", bytes.decode(new int[] {'a', 0xE6, 0x95, 'b'}, false));
        assertEquals("a数", bytes.decode(new int[] {'a', 0xE6, 0x95, 0xB0}, false));
    }

    @Test
    void savedFileLoadsBackWithIdenticalIds(@TempDir Path dir) {
        Path file = dir.resolve("tokenizer.json");
        bytes.save(file);
        HfTokenizer loaded = HfTokenizer.load(file);
        Random random = new Random(1);
        for (int n = 0; n < 200; n++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(40); i > 0; i--) {
                int cp = random.nextInt(4) == 0 ? random.nextInt(0x20, 0x3000) : random.nextInt(0x20, 0x7F);
                text.appendCodePoint(cp);
            }
            assertArrayEquals(bytes.encode(text.toString()), loaded.encode(text.toString()));
        }
        assertEquals(bytes.vocabSize(), loaded.vocabSize());
        assertEquals(bytes.eosId(), loaded.eosId());
    }

    /** A measurement, not an assertion: the speed of encoding 10 MB. */
    @Test
    void encodesTenMegabytesQuickly() {
        String text = "The Union is strong. Naïve café — 数字 🙂\n".repeat(250_000);
        bytes.encode(text.substring(0, 1_000_000)); // warm up
        long start = System.nanoTime();
        int[] ids = bytes.encode(text);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(text.getBytes(StandardCharsets.UTF_8).length, ids.length);
        System.out.printf("ByteTokenizer: %.1f MB of text (%d chars) in %.3f s, %.1f MB/s%n",
                ids.length / 1e6, text.length(), seconds, ids.length / 1e6 / seconds);
    }
}
