package io.ringkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(5)
class RetryPolicyTest {
    @Test
    void timeoutsDoubleFromTheInitialOne() {
        RetryPolicy policy = RetryPolicy.DEFAULT;
        assertThat(policy.timeoutMs(0)).isEqualTo(100);
        assertThat(policy.timeoutMs(1)).isEqualTo(200);
        assertThat(policy.timeoutMs(2)).isEqualTo(400);
        assertThat(policy.timeoutMs(3)).isEqualTo(800);
        assertThat(policy.totalTimeoutMs()).isEqualTo(1_500);
    }

    @Test
    void timeoutsAreCappedInsteadOfOverflowing() {
        RetryPolicy policy = new RetryPolicy(RetryPolicy.TIMEOUT_MS_MAX, RetryPolicy.TRIES_MAX, 0, 1, 0);
        assertThat(policy.timeoutMs(1)).isEqualTo(RetryPolicy.TIMEOUT_MS_MAX);
        assertThat(policy.timeoutMs(63)).isEqualTo(RetryPolicy.TIMEOUT_MS_MAX);
        assertThat(policy.totalTimeoutMs()).isEqualTo(RetryPolicy.TIMEOUT_MS_MAX * RetryPolicy.TRIES_MAX);
    }

    @Test
    void overloadWaitHonoursTheNodeAndAddsBoundedJitter() {
        RetryPolicy policy = new RetryPolicy(100, 4, 10, 2_000, 0.2);
        assertThat(policy.overloadDelayMs(500, 0.0)).isEqualTo(500);
        assertThat(policy.overloadDelayMs(500, 0.5)).isEqualTo(550);
        assertThat(policy.overloadDelayMs(500, 0.999)).isBetween(500L, 600L);
    }

    @Test
    void overloadWaitIsCappedAndNeverNegative() {
        RetryPolicy policy = new RetryPolicy(100, 4, 10, 2_000, 0.2);
        assertThat(policy.overloadDelayMs(1_000_000, 0.0)).isEqualTo(2_000);
        assertThat(policy.overloadDelayMs(1_000_000, 0.999)).isLessThanOrEqualTo(2_400);
        assertThat(policy.overloadDelayMs(-5, 0.0)).isZero();
        // A zero wait still spreads clients over a few milliseconds.
        assertThat(policy.overloadDelayMs(0, 0.999)).isBetween(0L, RetryPolicy.OVERLOAD_JITTER_MS_MIN);
    }

    @Test
    void rejectsSettingsOutOfRange() {
        assertThatThrownBy(() -> new RetryPolicy(0, 4, 10, 2_000, 0.2)).hasMessageContaining("initialTimeoutMs");
        assertThatThrownBy(() -> new RetryPolicy(100, 0, 10, 2_000, 0.2)).hasMessageContaining("tries");
        assertThatThrownBy(() -> new RetryPolicy(100, 4, -1, 2_000, 0.2)).hasMessageContaining("overloadRetriesMax");
        assertThatThrownBy(() -> new RetryPolicy(100, 4, 10, 0, 0.2)).hasMessageContaining("overloadWaitMsMax");
        assertThatThrownBy(() -> new RetryPolicy(100, 4, 10, 2_000, Double.NaN)).hasMessageContaining("Jitter");
    }
}
