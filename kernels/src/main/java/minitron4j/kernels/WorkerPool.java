package minitron4j.kernels;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Persistent worker threads that spin briefly between jobs before parking.
 *
 * <p>Why not a ForkJoinPool: bf16 decode calls a matrix-vector product about 225 times per token,
 * each a few hundred microseconds long, with short serial steps between them. Waking ForkJoin
 * workers from sleep and joining their tasks cost 15-30% of the memory bandwidth a decode step
 * could reach (measured on 100 back-to-back 3072x3072 products: 34-42 GB/s per-call, 48-50 GB/s
 * with one sync for all). Workers that are still spinning when the next job is published start
 * within a few hundred nanoseconds; workers idle for longer than {@link #SPIN_NANOS} park and cost
 * no CPU.
 *
 * <p>One job runs at a time. A second caller (another thread, or a body that itself calls
 * {@link Parallel#forEach}) finds the pool busy and runs its items inline, so nesting never
 * deadlocks.
 */
final class WorkerPool {
    /** How long an idle worker polls for the next job before parking. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private long jobsPublished;
    private volatile Job current;
    private volatile boolean shutdown;

    WorkerPool(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = new Worker();
            Thread t = Thread.ofPlatform().daemon().name("minitron4j-worker-" + (w + 1)).unstarted(workers[w]);
            workers[w].thread = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs body(i) for every i in [0, n) on the caller and the workers; returns when all items are
     * done. Returns false without running anything when the pool is busy with another job.
     */
    boolean tryRun(int n, IntConsumer body) {
        if (!busy.compareAndSet(false, true)) return false;
        try {
            Job job = new Job(++jobsPublished, n, body);
            current = job;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w.thread);
            job.work();
            job.awaitDone();
            job.rethrow();
            return true;
        } finally {
            current = null;
            busy.set(false);
        }
    }

    void shutdown() {
        shutdown = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
    }

    private final class Worker implements Runnable {
        Thread thread;
        /** Set before a worker parks; the publisher unparks only parked workers (a syscall each). */
        volatile boolean parked;

        @Override
        public void run() {
            // A sequence number, not the job itself, so a finished job's captured arrays can be freed.
            long done = 0;
            while (!shutdown) {
                Job job = current;
                if (job != null && job.seq != done) {
                    done = job.seq;
                    job.work();
                } else if (!spinForJob(done)) {
                    // Dekker handshake with tryRun: either this re-check sees the new job, or the
                    // publisher sees parked == true and unparks this thread.
                    parked = true;
                    Job again = current;
                    if (!shutdown && (again == null || again.seq == done)) LockSupport.park(this);
                    parked = false;
                }
            }
        }

        /** Polls for a job newer than done for up to SPIN_NANOS; true when one appeared. */
        private boolean spinForJob(long done) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            do {
                for (int i = 0; i < 64; i++) {
                    Job job = current;
                    if ((job != null && job.seq != done) || shutdown) return true;
                    Thread.onSpinWait();
                }
            } while (System.nanoTime() < deadline);
            return false;
        }
    }

    /** One call's items, claimed dynamically: each item's result does not depend on its thread. */
    private static final class Job {
        private final long seq;
        private final int n;
        private final IntConsumer body;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(long seq, int n, IntConsumer body) {
            this.seq = seq;
            this.n = n;
            this.body = body;
        }

        void work() {
            int mine = 0;
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                // After a failure the remaining items are only counted, so the caller returns soon.
                if (failure.get() == null) {
                    try {
                        body.accept(i);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
                mine++;
            }
            if (mine > 0) finished.addAndGet(mine);
        }

        /** Spins while the last items finish; yields the core once that takes longer than a spin. */
        void awaitDone() {
            long yieldAfter = System.nanoTime() + SPIN_NANOS;
            while (finished.get() < n) {
                if (System.nanoTime() > yieldAfter) Thread.yield();
                else Thread.onSpinWait();
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t == null) return;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }
}
