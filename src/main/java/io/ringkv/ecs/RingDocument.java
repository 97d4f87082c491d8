package io.ringkv.ecs;

import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import java.util.List;

/**
 * The ring as {@code GET /api/v1/ring} shows it: the {@link io.ringkv.ring.RingView} fields at the
 * top level (epoch, vnodes, replicationFactor, members), so that a node parses it as a RingView
 * and ignores the rest, and for people each member's token ranges and share of the ring.
 */
public record RingDocument(long epoch, int vnodes, int replicationFactor, List<Member> members, List<Owner> owners) {

    /**
     * A member's ownership. Range ends are unsigned 64-bit ring positions in hex.
     *
     * @param ranges {@code [startExclusive, endInclusive]} pairs, in ring order
     */
    public record Owner(String id, double share, List<List<String>> ranges) {}

    public static RingDocument of(Ring ring) {
        List<Owner> owners = ring.members().stream().map(m -> {
            List<TokenRange> ranges = ring.rangesOf(m.id());
            return new Owner(m.id(), ranges.stream().mapToDouble(TokenRange::share).sum(),
                    ranges.stream().map(r -> List.of(Long.toUnsignedString(r.startExclusive(), 16),
                            Long.toUnsignedString(r.endInclusive(), 16))).toList());
        }).toList();
        return new RingDocument(ring.epoch(), ring.vnodes(), ring.replicationFactor(), ring.members(), owners);
    }
}
