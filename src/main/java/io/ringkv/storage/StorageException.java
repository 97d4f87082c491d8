package io.ringkv.storage;

/** A storage operation failed; {@link #reason()} says how the client should be told. */
public final class StorageException extends RuntimeException {
    /** How a failure maps onto the protocol's reply codes. */
    public enum Reason {
        /** The storage budget or the disk would be exceeded. */
        OUT_OF_SPACE,
        /** Too many writes are waiting; the client should retry shortly (answered OVERLOAD). */
        BUSY,
        /** Anything else: I/O errors, a closed engine. */
        FAILURE
    }

    private final Reason reason;

    public StorageException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public StorageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
