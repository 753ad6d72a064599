package minitron4j.training;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowSamplerTest {

    @Test
    void sameSeedSameWindowsAndEachIsASliceOfTheFile(@TempDir Path dir) throws Exception {
        try (TokenData data = TokenData.open(TinyData.write(dir, 1000, 100))) {
            WindowSampler a = new WindowSampler(data.train(), 16, 7), b = new WindowSampler(data.train(), 16, 7);
            int[] x = new int[4 * 16], y = new int[4 * 16];
            for (int i = 0; i < 5; i++) {
                a.next(x, 4);
                b.next(y, 4);
                assertArrayEquals(x, y);
            }
            WindowSampler c = new WindowSampler(data.train(), 16, 8);
            int[] z = new int[4 * 16];
            c.next(z, 4);
            a = new WindowSampler(data.train(), 16, 7);
            a.next(x, 4);
            assertFalse(java.util.Arrays.equals(x, z), "another seed draws other windows");

            int[] whole = new int[1000];
            data.train().read(0, whole, 0, 1000);
            for (int k = 0; k < 200; k++) {
                long off = a.offset(k);
                assertTrue(off >= 0 && off <= 1000 - 16, "offset " + off + " inside the file");
            }
            long off = new WindowSampler(data.train(), 16, 7).offset(0);
            int[] first = java.util.Arrays.copyOfRange(x, 0, 16);
            assertArrayEquals(java.util.Arrays.copyOfRange(whole, (int) off, (int) off + 16), first);
        }
    }

    @Test
    void restoredStateContinuesTheSequence(@TempDir Path dir) throws Exception {
        try (TokenData data = TokenData.open(TinyData.write(dir, 500, 100))) {
            WindowSampler a = new WindowSampler(data.train(), 8, 3);
            int[] ids = new int[2 * 8];
            for (int i = 0; i < 3; i++) a.next(ids, 2);
            WindowSampler.State saved = a.state();
            assertEquals(new WindowSampler.State(3, 6), saved);
            int[] expected = new int[2 * 8];
            a.next(expected, 2);

            WindowSampler b = new WindowSampler(data.train(), 8, 3);
            b.restore(saved);
            int[] got = new int[2 * 8];
            b.next(got, 2);
            assertArrayEquals(expected, got);
            assertThrows(IllegalArgumentException.class, () -> b.restore(new WindowSampler.State(4, 6)));
        }
    }

    @Test
    void tooShortAFileIsRefused(@TempDir Path dir) throws Exception {
        try (TokenData data = TokenData.open(TinyData.write(dir, 10, 5))) {
            var e = assertThrows(IllegalArgumentException.class, () -> new WindowSampler(data.train(), 16, 0));
            assertTrue(e.getMessage().contains("train.bin"), e.getMessage());
        }
    }
}
