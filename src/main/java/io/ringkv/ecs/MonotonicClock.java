package io.ringkv.ecs;

import java.time.Instant;
import java.time.InstantSource;

/**
 * Wall-clock time as it was at construction, advanced by {@link System#nanoTime()}: it never jumps
 * when the system clock is stepped, so deadlines and the failure detector's silences measure real
 * elapsed time. The instants it reports drift from the wall clock by the steps made since the
 * ECS started (NTP normally slews instead), which only the timestamps of operations show.
 *
 * <p>Thread-safe.
 */
public final class MonotonicClock implements InstantSource {
    private final Instant origin = Instant.now();
    private final long originNanos = System.nanoTime();

    @Override
    public Instant instant() {
        return origin.plusNanos(System.nanoTime() - originNanos);
    }
}
