package io.ringkv.client;

import io.ringkv.wire.Command;

/**
 * No reply came, so nobody knows whether the node executed the request: a PUT may or may not have
 * been applied. Callers that need to know must read the key back (a retry with a new messageID is
 * a new request, not a replay).
 *
 * <p>Deliberately not a {@link RingKvException}, which always means the node answered with an error.
 */
public final class OutcomeUnknownException extends RuntimeException {
    /** Why no reply will come. */
    public enum Reason {
        /** Every try timed out. */
        TIMED_OUT,
        /** The TCP connection broke while the request was outstanding. */
        CONNECTION_LOST,
        /** The client was closed while the request was outstanding. */
        CLIENT_CLOSED,
        /** The calling thread was interrupted while waiting; the request may still complete. */
        INTERRUPTED
    }

    private final Command command;
    private final Reason reason;
    private final int tries;
    private final long elapsedMs;

    public OutcomeUnknownException(Command command, Reason reason, int tries, long elapsedMs, String detail,
            Throwable cause) {
        super(message(command, reason, tries, elapsedMs, detail), cause);
        this.command = command;
        this.reason = reason;
        this.tries = tries;
        this.elapsedMs = elapsedMs;
    }

    public Command command() {
        return command;
    }

    public Reason reason() {
        return reason;
    }

    /** How many times the request was sent (OVERLOAD retries not counted). */
    public int tries() {
        return tries;
    }

    public long elapsedMs() {
        return elapsedMs;
    }

    private static String message(Command command, Reason reason, int tries, long elapsedMs, String detail) {
        String request = command == null ? "the request" : command.name();
        String what = switch (reason) {
            case TIMED_OUT -> "no reply to " + request + " after " + tries + (tries == 1 ? " try" : " tries")
                    + " over " + elapsedMs + " ms";
            case CONNECTION_LOST -> "connection lost before the reply to " + request + " arrived";
            case CLIENT_CLOSED -> "client closed before the reply to " + request + " arrived";
            case INTERRUPTED -> "interrupted while waiting for the reply to " + request;
        };
        return what + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")")
                + "; the outcome is unknown";
    }
}
