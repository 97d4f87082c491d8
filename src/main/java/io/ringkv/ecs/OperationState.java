package io.ringkv.ecs;

/** The life of an operation: QUEUED → RUNNING → SUCCEEDED | FAILED. Persisted by name. */
public enum OperationState {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED;
    }
}
