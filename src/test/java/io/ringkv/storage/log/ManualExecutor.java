package io.ringkv.storage.log;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs the engine's background tasks only when the test says so, on the test's thread, so that
 * every file operation of a hint write or a merge happens at a known point of the workload.
 */
final class ManualExecutor implements Executor {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
        tasks.add(task);
    }

    /** Runs queued tasks, and the tasks they queue, until none is left; returns how many ran. */
    int runAll() {
        int ran = 0;
        while (true) {
            Runnable next;
            synchronized (this) {
                next = tasks.poll();
            }
            if (next == null) {
                return ran;
            }
            next.run();
            ran++;
        }
    }

    synchronized int queued() {
        return tasks.size();
    }
}
