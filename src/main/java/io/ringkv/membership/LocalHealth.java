package io.ringkv.membership;

/**
 * Lifeguard's local health multiplier: a score from 0 (healthy) to {@code max} that grows when this
 * member shows signs of being the slow one (its probes fail although intermediaries did not send
 * the nacks they should have; it had to refute a suspicion of itself) and shrinks with every
 * successful probe. Probe periods and probe timeouts are stretched by {@code score + 1}, so a
 * member starved of CPU or bandwidth probes less and waits longer instead of accusing healthy
 * members of its own slowness.
 */
final class LocalHealth {
    private final int max;
    private int score;

    LocalHealth(int max) {
        this.max = max;
    }

    /** Moves the score by {@code delta}, within 0..max. */
    void adjust(int delta) {
        score = Math.clamp((long) score + delta, 0, max);
    }

    int score() {
        return score;
    }

    /** {@code durationMs} stretched by the current score. */
    long scaleMs(long durationMs) {
        return durationMs * (score + 1);
    }
}
