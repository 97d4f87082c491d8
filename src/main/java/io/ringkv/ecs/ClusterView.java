package io.ringkv.ecs;

import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import java.util.List;
import java.util.function.Function;

/**
 * The cluster as {@code GET /api/v1/cluster} shows it: every known node with its status and share
 * of the ring, the ring's epoch, and the operation under way.
 *
 * @param operation id of the operation under way, or null when idle
 */
public record ClusterView(long epoch, int vnodes, String launcher, String operation, List<NodeView> nodes) {

    /**
     * One node.
     *
     * @param respPort RESP2 port when the local launcher chose it, else 0 (unknown)
     * @param pid process id when the local launcher runs it, else null
     * @param share fraction of the ring it owns as primary (0 when not a member)
     * @param ranges how many token ranges it owns
     * @param incarnation the process its heartbeats come from (chosen at each start), null before the first
     * @param heartbeatAgeMs time since its last heartbeat reached this ECS, null when none has
     * @param heartbeatVia the node its last counted heartbeat was relayed by (its own link to the
     *     ECS is broken), null when it came directly
     * @param deadBy the ring members whose gossip finds it dead; more than half of the ring cuts it off
     */
    public record NodeView(String id, String host, int port, int restPort, int respPort, NodeStatus status, Long pid,
            String logFile, String dataDir, double share, int ranges, String incarnation, Long heartbeatAgeMs,
            String heartbeatVia, List<String> deadBy) {}

    /**
     * @param heartbeatAgeMs time since a node's last heartbeat, by id, or null
     * @param heartbeatVia the relay of a node's last heartbeat, by id, or null
     * @param deadBy the members that find a node dead, by id
     */
    public static ClusterView of(ClusterState state, String launcher, String operation,
            Function<String, Long> heartbeatAgeMs, Function<String, String> heartbeatVia,
            Function<String, List<String>> deadBy) {
        Ring ring = state.currentRing();
        List<NodeView> nodes = state.nodes().stream()
                .sorted(java.util.Comparator.comparing(NodeRecord::id))
                .map(n -> {
                    List<TokenRange> ranges = ring.rangesOf(n.id());
                    return new NodeView(n.id(), n.host(), n.port(), n.restPort(), n.respPort(), n.status(), n.pid(), n.logFile(),
                            n.dataDir(), ranges.stream().mapToDouble(TokenRange::share).sum(), ranges.size(), n.incarnation(),
                            heartbeatAgeMs.apply(n.id()), heartbeatVia.apply(n.id()), deadBy.apply(n.id()));
                })
                .toList();
        return new ClusterView(ring.epoch(), ring.vnodes(), launcher, operation, nodes);
    }
}
