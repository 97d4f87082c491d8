package io.ringkv.resp;

/**
 * Where the RESP listener reports what it did. Called on event loops for every command: an
 * implementation must be cheap and must not block. Thread-safe.
 */
public interface RespMetrics {
    /**
     * A command was answered. {@code command} is null for a command ringkv does not know;
     * {@code error} tells an error reply from any other.
     */
    void completed(RespCommand command, boolean error, long startNanos);

    /** A connection was closed or refused by the listener; {@code reason} is a short fixed word. */
    void rejected(String reason);

    RespMetrics NONE = new RespMetrics() {
        @Override
        public void completed(RespCommand command, boolean error, long startNanos) {}

        @Override
        public void rejected(String reason) {}
    };
}
