package io.ringkv.ecs;

/**
 * Where a node stands in the cluster, as the ECS sees it. Only these names travel in JSON and in
 * {@code cluster.json}; add new ones, never rename.
 */
public enum NodeStatus {
    /** Launched or admitted by a running operation; not in the ring yet. */
    JOINING,
    /** In the ring and answering. */
    UP,
    /** In the ring, but its data is being moved away by a running removal. */
    LEAVING,
    /** In the ring, but it did not answer the ECS's last call. */
    DOWN,
    /**
     * Declared failed: no heartbeat for {@code ringkv.ecs.failure-timeout}, so a ring without it was
     * published. Kept (with its ports, data directory and id) so that it is re-admitted by an add
     * when it is heard from again; {@code DELETE /nodes/{id}} forgets it.
     */
    FAILED
}
