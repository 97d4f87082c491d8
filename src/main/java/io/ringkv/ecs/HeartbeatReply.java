package io.ringkv.ecs;

import java.util.List;

/**
 * What the ECS answers a node's heartbeat ({@code POST /api/v1/nodes/{id}/heartbeat}).
 *
 * @param epoch the ECS's ring epoch: a node behind it pulls {@code GET /api/v1/ring} at once
 * @param leaseMs the lease every node uses, failure-timeout / 2: sent in every reply so that node
 *     and ECS never disagree about it
 * @param lease whether this heartbeat renews the node's lease, which then runs for {@code leaseMs}
 *     from the moment the node sent it; false renews nothing (the lease runs out on its own)
 * @param status the node's status at the ECS, or {@link #UNKNOWN} when the ECS does not know it
 *     (the node then registers again)
 * @param reason why no lease was granted, null when it was
 * @param deadBy the ring members whose gossip finds this node dead, when more than half of the ring
 *     does: a node that is alive tells them so at once (its refutation may have been lost), since
 *     after ringkv.ecs.failure-timeout of that its heartbeats stop counting
 */
public record HeartbeatReply(long epoch, long leaseMs, boolean lease, String status, String reason,
        List<String> deadBy) {
    public static final String UNKNOWN = "UNKNOWN";

    public HeartbeatReply {
        deadBy = List.copyOf(deadBy);
    }

    public HeartbeatReply(long epoch, long leaseMs, boolean lease, String status, String reason) {
        this(epoch, leaseMs, lease, status, reason, List.of());
    }
}
