package io.ringkv.ecs;

import java.time.Duration;

/**
 * How the coordinator waits between polls. The real one sleeps; tests advance a manual clock, so
 * a scenario with minutes of timeouts runs in milliseconds and without sleeps.
 */
@FunctionalInterface
public interface Pacer {
    void pause(Duration duration) throws InterruptedException;

    Pacer SLEEP = Thread::sleep;
}
