package io.ringkv.faults;

import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/** A {@link Delayer} whose time moves only when a test says so; tasks run on the test's thread. */
final class ManualDelayer implements Delayer {
    private record Task(long dueNanos, long order, Runnable run) {}

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.dueNanos() != b.dueNanos()
            ? Long.compare(a.dueNanos(), b.dueNanos())
            : Long.compare(a.order(), b.order()));
    private long nowNanos = -1_000_000_000L; // negative on purpose: System.nanoTime() may be too
    private long scheduled;

    @Override
    public void schedule(Runnable task, long delayMs) {
        tasks.add(new Task(nowNanos + TimeUnit.MILLISECONDS.toNanos(delayMs), scheduled++, task));
    }

    @Override
    public long nanoTime() {
        return nowNanos;
    }

    /** Moves time forward by {@code ms}, running every task that falls due, in order. */
    void advanceMs(long ms) {
        long target = nowNanos + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!tasks.isEmpty() && tasks.peek().dueNanos() <= target) {
            Task task = tasks.poll();
            nowNanos = task.dueNanos();
            task.run().run();
        }
        nowNanos = target;
    }

    int pending() {
        return tasks.size();
    }
}
