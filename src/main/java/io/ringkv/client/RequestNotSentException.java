package io.ringkv.client;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The request certainly did not leave this process (no connection to the node could be made), so
 * the node did not execute it and it may be sent again, even a write.
 */
public final class RequestNotSentException extends UncheckedIOException {
    public RequestNotSentException(String message, IOException cause) {
        super(message, cause);
    }

    /** Whether {@code failure}, or one of its causes, says the request was not sent. */
    public static boolean isCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RequestNotSentException) {
                return true;
            }
        }
        return false;
    }
}
