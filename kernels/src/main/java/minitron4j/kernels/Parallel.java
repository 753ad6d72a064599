package minitron4j.kernels;

import java.util.function.IntConsumer;

/**
 * The one thread pool every kernel runs on. Sized to the cores unless {@link #setThreads} says
 * otherwise (the command line's {@code --threads}). Work is split into chunks whose boundaries
 * depend only on the problem size and the thread count, so results are deterministic for a given
 * thread count.
 */
public final class Parallel {
    private static volatile WorkerPool pool = new WorkerPool(Runtime.getRuntime().availableProcessors());

    private Parallel() {}

    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (threads == pool.threads()) return;
        WorkerPool old = pool;
        pool = new WorkerPool(threads);
        old.shutdown();
    }

    public static int threads() {
        return pool.threads();
    }

    /**
     * Runs body(i) for i in [0, n), spread over the pool; returns when all are done. Items are
     * claimed dynamically, which keeps cores busy when they differ in cost; each item's result does
     * not depend on which thread ran it, so the output is still deterministic. A call made while the
     * pool is busy (from inside a body, or from a second thread) runs its items on the caller.
     */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        WorkerPool p = pool;
        if (n == 1 || p.threads() == 1 || !p.tryRun(n, body)) {
            for (int i = 0; i < n; i++) body.accept(i);
        }
    }

    /** Runs body(start, end) over [0, n) cut into up to 4 chunks a thread of at least minChunk items. */
    public static void forRange(int n, int minChunk, RangeBody body) {
        forRange(n, minChunk, 4, body);
    }

    /**
     * Runs body(start, end) over [0, n) cut into up to chunksPerThread chunks a thread, each of at
     * least minChunk items. More chunks leave less idle time at the end of a call (the last chunk
     * is smaller) at the price of one more claim each.
     */
    public static void forRange(int n, int minChunk, int chunksPerThread, RangeBody body) {
        if (n <= 0) return;
        if (chunksPerThread < 1) throw new IllegalArgumentException("chunksPerThread must be >= 1, got " + chunksPerThread);
        int chunks = Math.max(1, Math.min(threads() * chunksPerThread, n / Math.max(1, minChunk)));
        int per = (n + chunks - 1) / chunks;
        int count = (n + per - 1) / per;
        forEach(count, c -> body.run(c * per, Math.min(n, (c + 1) * per)));
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }
}
