package io.ringkv.ecs;

import java.util.List;
import java.util.Objects;

/**
 * A node's heartbeat as the ECS received it ({@code POST /api/v1/nodes/{id}/heartbeat}; see {@link
 * io.ringkv.admin.SignedHeartbeat} for what its signature covers).
 *
 * @param incarnation the node's process, chosen at its start
 * @param epoch the ring epoch it routes by
 * @param seq grows with every heartbeat of the process; 0 from a node that does not number them
 * @param dead the ring members the node's gossip finds dead
 * @param via the node that relayed it, whose signature the caller has checked; null when it came directly
 */
public record Heartbeat(String id, String incarnation, long epoch, long seq, List<String> dead, String via) {
    public Heartbeat {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(incarnation, "incarnation");
        dead = List.copyOf(dead);
    }

    /** A direct heartbeat that reports nobody dead and carries no number (as from a node without gossip). */
    public static Heartbeat of(String id, String incarnation, long epoch) {
        return new Heartbeat(id, incarnation, epoch, 0, List.of(), null);
    }
}
