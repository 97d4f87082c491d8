package io.ringkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(10)
class BenchOptionsTest {
    private final DurationConverter durations = new DurationConverter();

    @Test
    void durationsTakeUnits() {
        assertThat(durations.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(durations.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(durations.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(durations.convert("1.5s")).isEqualTo(Duration.ofMillis(1_500));
        assertThat(durations.convert("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(durations.convert("0s")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> durations.convert("soon")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> durations.convert("-1s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> durations.convert("2000m")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    private static LoadSpec spec(int sockets, int inFlight) {
        return new LoadSpec("127.0.0.1", 1, sockets, inFlight, 1, Duration.ZERO, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 100, 10, 0.5, 1, false);
    }

    @Test
    void inFlightIsSpreadOverSocketsWithoutLosingAny() {
        LoadSpec spec = spec(3, 10);
        assertThat(spec.windowOf(0) + spec.windowOf(1) + spec.windowOf(2)).isEqualTo(10);
        assertThat(spec.windowOf(0)).isEqualTo(4);
        assertThat(spec.windowOf(2)).isEqualTo(3);
    }

    @Test
    void specRejectsWhatCannotWork() {
        assertThatThrownBy(() -> spec(4, 3)).hasMessageContaining("inflight");
        assertThatThrownBy(() -> spec(0, 3)).hasMessageContaining("sockets");
        assertThatThrownBy(() -> spec(LoadSpec.SOCKETS_MAX + 1, LoadSpec.IN_FLIGHT_MAX)).hasMessageContaining("sockets");
    }
}
