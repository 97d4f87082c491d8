package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The suspicion clock: from the maximum toward the minimum, one log step per new accuser. */
class SuspicionTest {
    private static final long MIN_MS = 4_000;
    private static final long MAX_MS = 24_000;

    @Test
    void theTimeoutFallsLogarithmicallyFromMaxToMinWithConfirmations() {
        assertThat(Suspicion.timeoutMs(0, 3, MIN_MS, MAX_MS)).isEqualTo(24_000);
        assertThat(Suspicion.timeoutMs(1, 3, MIN_MS, MAX_MS)).isEqualTo(14_000); // log 2 / log 4 = 1/2
        assertThat(Suspicion.timeoutMs(2, 3, MIN_MS, MAX_MS)).isEqualTo(8_150);
        assertThat(Suspicion.timeoutMs(3, 3, MIN_MS, MAX_MS)).isEqualTo(4_000);
        assertThat(Suspicion.timeoutMs(9, 3, MIN_MS, MAX_MS)).as("never below the minimum").isEqualTo(4_000);
        assertThat(Suspicion.timeoutMs(0, 0, MIN_MS, MAX_MS)).as("nobody could confirm").isEqualTo(4_000);
    }

    @Test
    void onlyNewAccusersConfirmAndOnlyUpToTheExpectedNumber() {
        Suspicion suspicion = new Suspicion("b", 100, MIN_MS, MAX_MS, 2);
        assertThat(suspicion.deadlineMs()).isEqualTo(100 + 24_000);
        assertThat(suspicion.confirm("b")).as("the first accuser again").isFalse();
        assertThat(suspicion.confirm("c")).isTrue();
        assertThat(suspicion.confirm("c")).isFalse();
        assertThat(suspicion.deadlineMs()).isEqualTo(100 + Suspicion.timeoutMs(1, 2, MIN_MS, MAX_MS));
        assertThat(suspicion.confirm("d")).isTrue();
        assertThat(suspicion.deadlineMs()).isEqualTo(100 + MIN_MS);
        assertThat(suspicion.confirm("e")).as("enough: further news need not spread").isFalse();
        assertThat(suspicion.confirmations()).isEqualTo(2);
    }

    @Test
    void aStallPostponesTheDeadline() {
        Suspicion suspicion = new Suspicion("b", 100, MIN_MS, MAX_MS, 2);
        suspicion.postponeMs(5_000);
        assertThat(suspicion.deadlineMs()).isEqualTo(5_100 + 24_000);
        suspicion.confirm("c");
        assertThat(suspicion.deadlineMs()).isEqualTo(5_100 + Suspicion.timeoutMs(1, 2, MIN_MS, MAX_MS));
    }
}
