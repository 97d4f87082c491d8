package io.ringkv.membership;

import java.util.HashSet;
import java.util.Set;

/**
 * The clock of one suspicion (Lifeguard's "local health aware suspicion"). It starts at the maximum
 * timeout and shrinks toward the minimum as independent confirmations arrive: suspect messages
 * about the member from distinct accusers, each of which failed a probe of its own. The reasoning:
 * one failed probe may be our own slowness or a lossy link, so the member gets time to refute; many
 * members failing it independently make the failure likely, so waiting long only delays repair.
 *
 * <p>The timeout after {@code c} of {@code k} expected confirmations is
 * {@code max - (max - min) * log(c + 1) / log(k + 1)}, never below {@code min}: the first
 * confirmations matter most, each further one less (the idea of memberlist's suspicion.go).
 * Deadlines count from the start of the suspicion, so a late confirmation can make an expired
 * deadline due at once.
 */
final class Suspicion {
    private long startMs;
    private final long minMs;
    private final long maxMs;
    private final int confirmationsExpected;
    /** The accusers heard, the first one included; bounded by {@code confirmationsExpected + 1}. */
    private final Set<String> accusers = new HashSet<>();
    private long deadlineMs;

    /**
     * @param accuser who raised the suspicion: it does not count as a confirmation
     * @param confirmationsExpected after this many confirmations the timeout is {@code minMs}; 0
     *     starts at {@code minMs} (too few members to confirm anything)
     */
    Suspicion(String accuser, long startMs, long minMs, long maxMs, int confirmationsExpected) {
        if (minMs <= 0 || maxMs < minMs || confirmationsExpected < 0) {
            throw new IllegalArgumentException("bad suspicion timeouts " + minMs + ".." + maxMs + " for "
                    + confirmationsExpected + " confirmations");
        }
        this.startMs = startMs;
        this.minMs = minMs;
        this.maxMs = maxMs;
        this.confirmationsExpected = confirmationsExpected;
        accusers.add(accuser);
        deadlineMs = startMs + timeoutMs(0, confirmationsExpected, minMs, maxMs);
    }

    /**
     * Counts {@code accuser}'s suspicion as a confirmation if it is a new one. Returns whether it
     * was: the caller gossips only those, so that the confirmation reaches the other suspecters.
     */
    boolean confirm(String accuser) {
        if (confirmations() >= confirmationsExpected || !accusers.add(accuser)) {
            return false;
        }
        deadlineMs = startMs + timeoutMs(confirmations(), confirmationsExpected, minMs, maxMs);
        return true;
    }

    int confirmations() {
        return accusers.size() - 1;
    }

    /** When the member is to be declared dead unless it refutes before. */
    long deadlineMs() {
        return deadlineMs;
    }

    /** Moves the start (and so the deadline) later: time this member spent stalled does not count. */
    void postponeMs(long stallMs) {
        startMs += stallMs;
        deadlineMs += stallMs;
    }

    static long timeoutMs(int confirmations, int expected, long minMs, long maxMs) {
        if (expected == 0) {
            return minMs;
        }
        double fraction = Math.log(Math.min(confirmations, expected) + 1.0) / Math.log(expected + 1.0);
        long timeout = (long) Math.floor(maxMs - fraction * (maxMs - minMs));
        return Math.max(minMs, timeout);
    }
}
