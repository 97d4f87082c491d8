package io.ringkv.node;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one caller through at most once per interval, without a lock: for a reaction that many
 * signs may ask for at once (a sync, a ring pull) but that is worth doing only once in a while.
 * Thread-safe; never blocks.
 */
final class RateGate {
    private final long intervalNanos;
    private final AtomicLong lastNanos;

    RateGate(long intervalNanos) {
        this.intervalNanos = intervalNanos;
        this.lastNanos = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** True for the one caller that may act now; false within the interval since the last one. */
    boolean tryPass() {
        long now = System.nanoTime();
        long last = lastNanos.get();
        return now - last >= intervalNanos && lastNanos.compareAndSet(last, now);
    }
}
