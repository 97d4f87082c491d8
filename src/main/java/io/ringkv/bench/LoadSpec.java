package io.ringkv.bench;

import java.time.Duration;

/**
 * What one load run does. Every field is range-checked so that a typo cannot ask for a million
 * sockets or a year-long run.
 *
 * @param host the target's host
 * @param port the target's UDP port
 * @param sockets client sockets, each with its own source port
 * @param inFlight requests outstanding at once over all sockets (each socket keeps its share full)
 * @param threads event-loop threads the sockets are spread over
 * @param warmup time before measuring starts
 * @param duration time measured
 * @param timeout how long a request waits for its reply before it counts as lost and its slot is reused
 * @param valueBytes size of each PUT's value
 * @param keys size of the keyspace; keys are "k0" … "k{keys-1}", picked uniformly
 * @param getRatio share of GETs; the rest are PUTs
 * @param seed seeds the key and command choice and the value bytes
 * @param expectEcho the target is an echo server: any datagram echoing a request counts as its reply
 */
record LoadSpec(String host, int port, int sockets, int inFlight, int threads, Duration warmup, Duration duration,
        Duration timeout, int valueBytes, long keys, double getRatio, long seed, boolean expectEcho) {
    static final int SOCKETS_MAX = 1_024;
    static final int IN_FLIGHT_MAX = 65_536;
    static final int THREADS_MAX = 256;
    static final int VALUE_BYTES_MAX = 60_000;
    static final long KEYS_MAX = 1_000_000_000_000L;
    static final Duration TIMEOUT_MIN = Duration.ofMillis(1);
    static final Duration TIMEOUT_MAX = Duration.ofSeconds(60);

    LoadSpec {
        check(port >= 1 && port <= 65_535, "port must be 1..65535");
        check(sockets >= 1 && sockets <= SOCKETS_MAX, "sockets must be 1.." + SOCKETS_MAX);
        check(inFlight >= sockets && inFlight <= IN_FLIGHT_MAX,
                "inflight must be at least the number of sockets and at most " + IN_FLIGHT_MAX);
        check(threads >= 1 && threads <= THREADS_MAX, "threads must be 1.." + THREADS_MAX);
        check(!duration.isNegative() && !duration.isZero(), "duration must be positive");
        check(!warmup.isNegative(), "warmup must not be negative");
        check(timeout.compareTo(TIMEOUT_MIN) >= 0 && timeout.compareTo(TIMEOUT_MAX) <= 0,
                "timeout must be 1ms..60s");
        check(valueBytes >= 0 && valueBytes <= VALUE_BYTES_MAX, "value-bytes must be 0.." + VALUE_BYTES_MAX);
        check(keys >= 1 && keys <= KEYS_MAX, "keys must be 1.." + KEYS_MAX);
        check(getRatio >= 0 && getRatio <= 1, "get-ratio must be 0..1");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The share of {@link #inFlight} that socket {@code index} keeps outstanding. */
    int windowOf(int index) {
        return inFlight / sockets + (index < inFlight % sockets ? 1 : 0);
    }
}
