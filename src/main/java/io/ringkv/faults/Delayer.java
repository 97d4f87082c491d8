package io.ringkv.faults;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task later, for the decorators that have no event loop to schedule on (the peer links).
 * Injected so that tests drive time by hand instead of sleeping.
 *
 * <p>Implementations must be thread-safe; {@link #schedule} must not block. Tasks run on a thread of
 * the delayer's own, never on the caller's.
 */
public interface Delayer {
    /** Runs {@code task} once, {@code delayMs} from now. */
    void schedule(Runnable task, long delayMs);

    /** The delayer's clock, in nanoseconds from an arbitrary origin. */
    long nanoTime();

    /**
     * One daemon thread. Its queue is not bounded here: {@link NetworkFaults} bounds what may wait in
     * it, by bytes.
     */
    final class Threaded implements Delayer, AutoCloseable {
        private final ScheduledThreadPoolExecutor executor;

        public Threaded(String threadName) {
            executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, threadName);
                thread.setDaemon(true);
                return thread;
            });
            executor.setRemoveOnCancelPolicy(true);
        }

        @Override
        public void schedule(Runnable task, long delayMs) {
            executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }
}
