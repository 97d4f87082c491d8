package io.ringkv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class CoarseClockTest {
    @Test
    void wallTimeFollowsItsSourceWithinTicksAndStopsWhenClosed() {
        AtomicLong source = new AtomicLong(1_000);
        try (CoarseClock clock = new CoarseClock(source::get)) {
            assertThat(clock.wallTime()).isEqualTo(1_000);
            source.set(2_000);
            await().atMost(Duration.ofSeconds(2)).until(() -> clock.wallTime() == 2_000);
            clock.close();
            source.set(3_000);
            // A tick already past its read may still land; after it the value stays.
            await().pollDelay(Duration.ofMillis(5 * CoarseClock.TICK_MILLIS)).atMost(Duration.ofSeconds(2))
                    .until(() -> true);
            assertThat(clock.wallTime()).isEqualTo(2_000);
        }
    }

    @Test
    void monotonicTimeIsNanoTime() {
        try (CoarseClock clock = new CoarseClock()) {
            long before = System.nanoTime();
            long read = clock.monotonicTime();
            assertThat(read).isBetween(before, System.nanoTime());
            assertThat(Math.abs(clock.wallTime() - System.currentTimeMillis())).isLessThan(1_000);
        }
    }
}
