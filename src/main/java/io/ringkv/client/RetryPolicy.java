package io.ringkv.client;

/**
 * When to resend a request and how long to honour OVERLOAD. Pure arithmetic, so the schedule can be
 * tested without sockets or clocks.
 *
 * <p>Try {@code n} (0-based) waits {@code initialTimeoutMs << n} for a reply, like the CPEN 431
 * reference clients (100, 200, 400, 800 ms: 1.5 s in all by default). An OVERLOAD reply does not use
 * up a try: the client waits as long as the node asked, plus jitter so that many clients told to
 * wait the same time do not come back in one burst, and resends the same messageID. Those waits are
 * limited in number and length, so a node that keeps saying OVERLOAD cannot hold a request forever.
 *
 * @param initialTimeoutMs how long the first try waits for a reply
 * @param tries how many times a request is sent before its outcome is declared unknown
 * @param overloadRetriesMax how many OVERLOAD replies one request honours before failing with OVERLOAD
 * @param overloadWaitMsMax the longest single wait honoured, whatever the node asks for
 * @param overloadJitterFraction extra random wait, as a fraction of the requested wait
 */
public record RetryPolicy(long initialTimeoutMs, int tries, int overloadRetriesMax, long overloadWaitMsMax,
        double overloadJitterFraction) {
    public static final long TIMEOUT_MS_MAX = 60_000;
    public static final int TRIES_MAX = 16;
    public static final int OVERLOAD_RETRIES_MAX = 1_000;
    /** Jitter spread used when the node asks for a tiny wait, so retries still spread out a little. */
    static final long OVERLOAD_JITTER_MS_MIN = 5;

    public static final RetryPolicy DEFAULT = new RetryPolicy(100, 4, 10, 2_000, 0.2);

    public RetryPolicy {
        if (initialTimeoutMs < 1 || initialTimeoutMs > TIMEOUT_MS_MAX) {
            throw new IllegalArgumentException("initialTimeoutMs must be 1.." + TIMEOUT_MS_MAX + ", was " + initialTimeoutMs);
        }
        if (tries < 1 || tries > TRIES_MAX) {
            throw new IllegalArgumentException("tries must be 1.." + TRIES_MAX + ", was " + tries);
        }
        if (overloadRetriesMax < 0 || overloadRetriesMax > OVERLOAD_RETRIES_MAX) {
            throw new IllegalArgumentException(
                    "overloadRetriesMax must be 0.." + OVERLOAD_RETRIES_MAX + ", was " + overloadRetriesMax);
        }
        if (overloadWaitMsMax < 1 || overloadWaitMsMax > TIMEOUT_MS_MAX) {
            throw new IllegalArgumentException("overloadWaitMsMax must be 1.." + TIMEOUT_MS_MAX + ", was " + overloadWaitMsMax);
        }
        if (!(overloadJitterFraction >= 0 && overloadJitterFraction <= 1)) {
            throw new IllegalArgumentException("overloadJitterFraction must be 0..1, was " + overloadJitterFraction);
        }
    }

    /** How long try {@code attempt} (0-based) waits for a reply. Capped so that shifts cannot overflow. */
    public long timeoutMs(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt must be >= 0, was " + attempt);
        }
        return attempt >= 20 ? TIMEOUT_MS_MAX : Math.min(initialTimeoutMs << attempt, TIMEOUT_MS_MAX);
    }

    /**
     * The time all tries take together. Over TCP a request is sent once and waits this long, since
     * resending on a reliable stream would not help.
     */
    public long totalTimeoutMs() {
        long total = 0;
        for (int attempt = 0; attempt < tries; attempt++) {
            total += timeoutMs(attempt);
        }
        return total;
    }

    /**
     * How long to wait before resending after an OVERLOAD reply.
     *
     * @param requestedWaitMs the node's overloadWaitTime; negative values count as 0
     * @param uniform01 a random number in [0, 1) that picks the jitter
     */
    public long overloadDelayMs(long requestedWaitMs, double uniform01) {
        long base = Math.clamp(requestedWaitMs, 0, overloadWaitMsMax);
        long spread = Math.max((long) (base * overloadJitterFraction), OVERLOAD_JITTER_MS_MIN);
        return base + (long) (spread * Math.clamp(uniform01, 0.0, 1.0));
    }
}
