package io.ringkv.ecs;

/**
 * A request the ECS refuses, with what kind of refusal it is; the REST layer turns the kind into
 * the HTTP status of a problem-details answer. Nothing has changed when this is thrown.
 */
public final class ClusterException extends RuntimeException {
    /** Why a request was refused. */
    public enum Kind {
        /** The request itself is wrong (bad count, static launcher asked to launch, ...). */
        BAD_REQUEST,
        /** It names a node or operation the ECS does not know. */
        NOT_FOUND,
        /** It conflicts with the cluster's state: another operation runs, the last node, ... */
        CONFLICT,
        /** It claims to speak for someone it cannot prove it is (a relayed heartbeat with a wrong signature). */
        FORBIDDEN
    }

    private final Kind kind;

    public ClusterException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
