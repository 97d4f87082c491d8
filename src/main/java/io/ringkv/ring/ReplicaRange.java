package io.ringkv.ring;

import java.util.List;

/** A range of the ring and the members that keep its keys: the primary first, then the backups. */
public record ReplicaRange(TokenRange range, List<Member> replicas) {

    public ReplicaRange {
        replicas = List.copyOf(replicas);
    }

    public Member primary() {
        return replicas.getFirst();
    }

    public boolean isReplica(String id) {
        return Ring.names(replicas, id);
    }
}
