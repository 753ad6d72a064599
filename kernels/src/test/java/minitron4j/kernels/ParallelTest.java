package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void forEachRunsEveryItemOnce() {
        for (int n : new int[] {1, 2, 3, 1000}) {
            AtomicIntegerArray runs = new AtomicIntegerArray(n);
            Parallel.forEach(n, runs::incrementAndGet);
            for (int i = 0; i < n; i++) assertEquals(1, runs.get(i), "item " + i + " of " + n);
        }
    }

    @Test
    void forRangeCoversTheRangeOnce() {
        AtomicIntegerArray runs = new AtomicIntegerArray(1001);
        Parallel.forRange(1001, 7, (s, e) -> {
            for (int i = s; i < e; i++) runs.incrementAndGet(i);
        });
        for (int i = 0; i < 1001; i++) assertEquals(1, runs.get(i), "index " + i);
    }

    @Test
    void failuresReachTheCaller() {
        assertThrows(IllegalStateException.class, () -> Parallel.forEach(64, i -> {
            if (i == 37) throw new IllegalStateException("item 37");
        }));
    }
}
