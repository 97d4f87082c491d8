package io.ringkv.ecs;

/** What an operation does. Persisted by name: add, never rename. */
public enum OperationKind {
    /** Launch nodes (local launcher) and give them ranges. */
    ADD_NODES,
    /** Admit a node started by hand (it registered or was named in POST /nodes). */
    ADMIT_NODE,
    /** Move a node's ranges away, publish the ring without it, shut it down. */
    REMOVE_NODE,
    /** Add or remove nodes until the cluster has the requested size. */
    SCALE,
    /** Re-publish the ring and re-run handoff with the current members. */
    REBALANCE,
    /** Re-adopt the nodes of a persisted state after the ECS restarted. */
    RECOVER,
    /**
     * Started by the failure detector, never by a request: publish a ring without the members that
     * fell silent (or the same members under a new epoch when one restarted with a new
     * incarnation), then drive the live nodes' repair towards it.
     */
    FAILOVER
}
