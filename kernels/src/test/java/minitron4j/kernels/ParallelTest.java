package minitron4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(CORES);
    }
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

    @Test
    void failuresOnWorkerThreadsReachTheCaller() {
        Parallel.setThreads(3);
        Thread caller = Thread.currentThread();
        // Items are slow enough that the workers claim some; only their items fail.
        AssertionError thrown = assertThrows(AssertionError.class, () -> Parallel.forEach(64, i -> {
            sleepMillis(1);
            if (Thread.currentThread() != caller) throw new AssertionError("worker item " + i);
        }));
        assertTrue(thrown.getMessage().startsWith("worker item"), thrown.getMessage());
        // The pool is usable after a failure.
        AtomicInteger count = new AtomicInteger();
        Parallel.forEach(100, i -> count.incrementAndGet());
        assertEquals(100, count.get());
    }

    @Test
    void nestedCallsRunEveryInnerItemOnce() {
        Parallel.setThreads(3);
        AtomicIntegerArray runs = new AtomicIntegerArray(17 * 13);
        Parallel.forEach(17, outer -> Parallel.forEach(13, inner -> runs.incrementAndGet(outer * 13 + inner)));
        for (int i = 0; i < runs.length(); i++) assertEquals(1, runs.get(i), "item " + i);
    }

    @Test
    void callsFromSeveralThreadsAtOnceAllComplete() throws InterruptedException {
        Parallel.setThreads(2);
        AtomicLong total = new AtomicLong();
        Thread[] callers = new Thread[4];
        for (int c = 0; c < callers.length; c++) {
            callers[c] = Thread.ofPlatform().start(() -> {
                for (int call = 0; call < 500; call++) Parallel.forEach(31, total::addAndGet);
            });
        }
        for (Thread t : callers) t.join();
        assertEquals(4L * 500 * (30 * 31 / 2), total.get());
    }

    @Test
    void manyShortCallsInARowEachRunEveryItemOnce() {
        // Back-to-back jobs are where a worker could pick up a finished job or miss a new one.
        Parallel.setThreads(2);
        for (int call = 0; call < 20_000; call++) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            Parallel.forEach(8, runs::incrementAndGet);
            for (int i = 0; i < 8; i++) assertEquals(1, runs.get(i), "call " + call + " item " + i);
        }
    }

    @Test
    void setThreadsChangesTheWidthAndRejectsZero() {
        Parallel.setThreads(1);
        assertEquals(1, Parallel.threads());
        Thread caller = Thread.currentThread();
        Parallel.forEach(50, i -> assertEquals(caller, Thread.currentThread()));
        Parallel.setThreads(4);
        assertEquals(4, Parallel.threads());
        AtomicIntegerArray runs = new AtomicIntegerArray(1000);
        Parallel.forRange(1000, 1, (s, e) -> {
            for (int i = s; i < e; i++) runs.incrementAndGet(i);
        });
        for (int i = 0; i < 1000; i++) assertEquals(1, runs.get(i), "index " + i);
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
