package io.ringkv.node;

/** What request handling needs to know about the process it runs in. Thread-safe. */
public interface NodeContext {
    /** The operating-system process id. */
    long pid();

    /** Live members of the cluster as this node knows it (1 for a lone node). */
    int membershipCount();

    /**
     * Ends the process cleanly, soon and asynchronously, after replies already handed to the
     * transport have had a moment to leave. Idempotent.
     */
    void shutdown(String reason);
}
