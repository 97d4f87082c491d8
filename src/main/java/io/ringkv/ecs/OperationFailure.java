package io.ringkv.ecs;

/** Ends an operation as FAILED with this message; thrown by its steps after they cleaned up. */
final class OperationFailure extends RuntimeException {
    OperationFailure(String message) {
        super(message);
    }

    OperationFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
