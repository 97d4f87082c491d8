package io.ringkv.ecs;

/** A call to a node that failed: no answer in time, or an answer other than the expected one. */
public final class NodeCallException extends RuntimeException {
    /** The HTTP status the node answered, or 0 when it did not answer. */
    private final int status;

    public NodeCallException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
