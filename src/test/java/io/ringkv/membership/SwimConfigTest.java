package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The configuration's derived timeouts and limits, and what it refuses. */
class SwimConfigTest {
    private final SwimConfig defaults = SwimConfig.defaults();

    @Test
    void suspicionTimeoutsAndRetransmitLimitsGrowWithLogN() {
        assertThat(defaults.suspicionMinMs(3)).as("log10 n below 1 counts as 1").isEqualTo(4_000);
        assertThat(defaults.suspicionMinMs(50)).isEqualTo(6_796);
        assertThat(defaults.suspicionMaxMs(50)).isEqualTo(40_776);
        assertThat(defaults.suspicionMinMs(1_000)).isEqualTo(12_000);
        assertThat(defaults.suspicionMaxMs(1_000)).isEqualTo(72_000);
        assertThat(defaults.retransmitLimit(50)).isEqualTo(8);
        assertThat(defaults.retransmitLimit(1_000)).isEqualTo(16);
    }

    @Test
    void timeoutsThatCannotFitThePeriodAreRefused() {
        assertThatThrownBy(() -> new SwimConfig(1_000, 1_000, 3, 400, 4, 6, 3, 4, 8, 1_400, 64, 4_096, 1_024, 256,
                30_000, 2_000)).hasMessageContaining("probeTimeoutMs (1000) must be below periodMs");
        assertThatThrownBy(() -> new SwimConfig(1_000, 500, 3, 500, 4, 6, 3, 4, 8, 1_400, 64, 4_096, 1_024, 256,
                30_000, 2_000)).hasMessageContaining("a nack must arrive within the period");
        assertThatThrownBy(() -> new SwimConfig(1_000, 500, 3, 400, 4, 6, 3, 4, 8, 100, 64, 4_096, 1_024, 256,
                30_000, 2_000)).hasMessageContaining("datagramBytesMax must be 576..65507");
        assertThatThrownBy(() -> new SwimConfig(1_000, 500, 3, 400, 4, 6, 3, 4, 8, 1_400, 300, 4_096, 1_024, 256,
                30_000, 2_000)).hasMessageContaining("updatesPerMessageMax must be 1..255");
    }

    @Test
    void theTestProfileIsValidAndFaster() {
        SwimConfig fast = SwimConfig.forTests();
        assertThat(fast.periodMs()).isLessThan(defaults.periodMs());
        assertThat(fast.withSyncIntervalMs(0).syncIntervalMs()).isZero();
    }
}
