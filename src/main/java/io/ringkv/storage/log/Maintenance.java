package io.ringkv.storage.log;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the engine's background work, one task at a time, in submission order: hint files for
 * rolled segments, merges, and deleting the files of retired segments. Tasks never run on the
 * writer thread or on a caller's thread, so neither waits for this I/O.
 *
 * <p>The executor is injected: the engine gives it a thread of its own, a test can run the tasks
 * itself at chosen points (so that every file operation happens in a deterministic order).
 */
final class Maintenance {
    private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

    /** One unit of background work. */
    interface Task {
        void run() throws Exception;
    }

    private final Executor executor;
    private final LogStats stats;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean stopped;

    Maintenance(Executor executor, LogStats stats) {
        this.executor = executor;
        this.stats = stats;
    }

    void submit(String what, Task task) {
        if (stopped) {
            return;
        }
        pending.incrementAndGet();
        try {
            executor.execute(() -> {
                try {
                    if (!stopped) {
                        task.run();
                    }
                } catch (Exception | Error e) {
                    stats.maintenanceFailures.increment();
                    log.warn("log engine background task failed: {}", what, e);
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            pending.decrementAndGet(); // closing: the next start redoes whatever this was
            log.debug("log engine background task not run (closing): {}", what);
        }
    }

    /** Tasks submitted and not finished. */
    int pending() {
        return pending.get();
    }

    /** Later submissions are dropped and queued tasks skipped; a running task checks {@link #stopped}. */
    void stop() {
        stopped = true;
    }

    boolean stopped() {
        return stopped;
    }
}
