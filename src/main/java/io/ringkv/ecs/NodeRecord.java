package io.ringkv.ecs;

import io.ringkv.ring.Member;

/**
 * What the ECS knows about one node, persisted in {@code cluster.json}.
 *
 * @param pid the node's process id when the local launcher started it (or re-adopted it), else null
 * @param logFile where the local launcher sends the node's output, else null
 * @param dataDir the node's {@code ringkv.storage.dir} when launched locally, else null
 * @param local true when the local launcher owns the process: it relaunches and stops it
 * @param respPort the node's RESP2 port when the local launcher chose it, else 0 (unknown)
 * @param incarnation what the node's last heartbeat called its process (chosen at each start), or
 *     null before its first; kept so that a node restarted while the ECS was down is noticed too
 */
public record NodeRecord(String id, String host, int port, int restPort, NodeStatus status, Long pid,
        String logFile, String dataDir, boolean local, int respPort, String incarnation) {

    public static NodeRecord admitted(Member member) {
        return new NodeRecord(member.id(), member.host(), member.port(), member.restPort(), NodeStatus.JOINING,
                null, null, null, false, 0, null);
    }

    public Member member() {
        return new Member(id, host, port, restPort);
    }

    public NodeRecord withStatus(NodeStatus next) {
        return new NodeRecord(id, host, port, restPort, next, pid, logFile, dataDir, local, respPort, incarnation);
    }

    public NodeRecord withPid(Long next) {
        return new NodeRecord(id, host, port, restPort, status, next, logFile, dataDir, local, respPort, incarnation);
    }

    public NodeRecord withIncarnation(String next) {
        return new NodeRecord(id, host, port, restPort, status, pid, logFile, dataDir, local, respPort, next);
    }
}
