package minitron4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The one thread pool every kernel runs on. Sized to the cores unless {@link #setThreads} says
 * otherwise (the command line's {@code --threads}). Work is split into chunks whose boundaries
 * depend only on the problem size and the thread count, so results are deterministic for a given
 * thread count.
 */
public final class Parallel {
    private static volatile ForkJoinPool pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    private Parallel() {}

    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (threads == pool.getParallelism()) return;
        ForkJoinPool old = pool;
        pool = new ForkJoinPool(threads);
        old.shutdown();
    }

    public static int threads() {
        return pool.getParallelism();
    }

    /** Runs body(i) for i in [0, n), spread over the pool; returns when all are done. */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        ForkJoinPool p = pool;
        int workers = Math.min(n, p.getParallelism());
        if (workers == 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        // Dynamic claiming keeps cores busy when items differ in cost; each item's result does
        // not depend on which thread ran it, so the output is still deterministic.
        Runnable claim = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) body.accept(i);
        };
        // The caller claims items too, so only workers - 1 pool threads are woken; kernels call
        // this many times a second and each wake-up costs microseconds.
        ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[workers - 1];
        for (int h = 0; h < helpers.length; h++) helpers[h] = p.submit(claim);
        try {
            claim.run();
        } finally {
            for (ForkJoinTask<?> h : helpers) h.quietlyJoin();
        }
        for (ForkJoinTask<?> h : helpers) h.join();
    }

    /** Runs body(start, end) over [0, n) cut into chunks of at least minChunk items. */
    public static void forRange(int n, int minChunk, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.max(1, Math.min(threads() * 4, n / Math.max(1, minChunk)));
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        forEach(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }
}
