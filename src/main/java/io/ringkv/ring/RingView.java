package io.ringkv.ring;

import java.util.List;

/**
 * A ring as it travels between processes (JSON on the admin plane): epoch, tokens per member,
 * copies per key (absent in rings saved before replication: one) and the members. Tokens are not sent because every process derives them from the ids.
 */
public record RingView(long epoch, int vnodes, Integer replicationFactor, List<Member> members) {

    public static RingView of(Ring ring) {
        return new RingView(ring.epoch(), ring.vnodes(), ring.replicationFactor(), ring.members());
    }

    /** The snapshot; throws IllegalArgumentException with the reason when the view is invalid. */
    public Ring toRing() {
        if (members == null) {
            throw new IllegalArgumentException("ring view without members");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("ring epoch must not be negative: " + epoch);
        }
        // Rings written before replication existed carry no factor: one copy.
        return Ring.of(epoch, vnodes, replicationFactor == null ? 1 : replicationFactor, members);
    }
}
