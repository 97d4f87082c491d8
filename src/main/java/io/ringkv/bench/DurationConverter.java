package io.ringkv.bench;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Reads {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5s}, or a bare number of seconds. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    static final Duration MAX = Duration.ofHours(24);

    @Override
    public Duration convert(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        long unitNanos;
        String number;
        if (s.endsWith("ms")) {
            unitNanos = 1_000_000L;
            number = s.substring(0, s.length() - 2);
        } else if (s.endsWith("s")) {
            unitNanos = 1_000_000_000L;
            number = s.substring(0, s.length() - 1);
        } else if (s.endsWith("m")) {
            unitNanos = 60_000_000_000L;
            number = s.substring(0, s.length() - 1);
        } else {
            unitNanos = 1_000_000_000L;
            number = s;
        }
        double value;
        try {
            value = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not a duration like 10s, 500ms or 2m");
        }
        if (!(value >= 0) || value * unitNanos > MAX.toNanos()) {
            throw new CommandLine.TypeConversionException("'" + text + "' must be between 0 and " + MAX.toHours() + "h");
        }
        return Duration.ofNanos(Math.round(value * unitNanos));
    }
}
