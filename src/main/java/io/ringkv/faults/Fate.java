package io.ringkv.faults;

/**
 * What a network fault plan decided for one message. The decorators carry it out; the decision
 * itself ({@link NetworkFaults#decide}) is where the randomness and the counting are.
 */
public sealed interface Fate {
    /** Delivered once, now: what happens to every message that no rule matches. */
    Deliver PASS = new Deliver(1, 0, false);
    Drop DROP = new Drop();
    Cut CUT = new Cut();

    /** Lost, as a datagram is lost; the sender learns nothing. */
    record Drop() implements Fate {}

    /** The link to the peer is cut: lost, and on TCP the connection is closed as well. */
    record Cut() implements Fate {}

    /**
     * Delivered {@code copies} times (1 or 2), each after {@code delayMs}; or, when {@code hold} is
     * set (and {@code delayMs} is 0), held back until a later message has passed, so that the two
     * swap places.
     */
    record Deliver(int copies, long delayMs, boolean hold) implements Fate {
        public Deliver {
            if (copies < 1 || copies > 2 || delayMs < 0 || hold && delayMs > 0) {
                throw new IllegalArgumentException("copies " + copies + ", delayMs " + delayMs);
            }
        }
    }
}
