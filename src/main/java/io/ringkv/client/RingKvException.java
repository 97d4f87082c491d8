package io.ringkv.client;

import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;

/**
 * The node answered, and the answer was an error code. The outcome is known: the node says the
 * operation did not succeed (for NO_SUCH_KEY, that there was nothing to read or remove).
 *
 * <p>A request that got no answer at all is an {@link OutcomeUnknownException} instead, which is
 * deliberately not a subclass: code that catches this type must never mistake "no reply" for "the
 * write failed".
 */
public final class RingKvException extends RuntimeException {
    private final Command command;
    private final int code;
    private final int overloadWaitMs;

    public RingKvException(Command command, int code, int overloadWaitMs) {
        super(command + " failed: " + describe(code));
        this.command = command;
        this.code = code;
        this.overloadWaitMs = overloadWaitMs;
    }

    /** The request's command. */
    public Command command() {
        return command;
    }

    /** The raw reply code, also for codes this client does not know (ringkv's own codes from 0x20 up). */
    public int code() {
        return code;
    }

    /** The reply code, or null when this client does not know its number. */
    public ErrorCode errorCode() {
        return ErrorCode.of(code);
    }

    public boolean isNoSuchKey() {
        return code == ErrorCode.NO_SUCH_KEY.code();
    }

    /** The last wait the node asked for, when the code is OVERLOAD (the client gave up retrying). */
    public int overloadWaitMs() {
        return overloadWaitMs;
    }

    /** The code's name and what it means for the user, e.g. {@code INVALID_KEY (key must be 1..32 bytes)}. */
    public String describe() {
        return describe(code);
    }

    /** The name of a reply code and what it means for the user, as the CLI prints it. */
    public static String describe(int code) {
        ErrorCode known = ErrorCode.of(code);
        if (known == null) {
            return String.format("UNKNOWN_ERROR_0x%02x (a reply code this client does not know)", code);
        }
        String why = switch (known) {
            case SUCCESS -> "success";
            case NO_SUCH_KEY -> "no value is stored under this key";
            case OUT_OF_SPACE -> "the node has no room for more data";
            case OVERLOAD -> "the node is overloaded and kept asking us to wait; try again later";
            case INTERNAL_FAILURE -> "the node failed internally; its log says why";
            case UNKNOWN_COMMAND -> "the node does not know this command";
            case INVALID_KEY -> "key must be 1..32 bytes";
            case INVALID_VALUE -> "value must be 0..10,000 bytes";
            case NOT_RESPONSIBLE -> "this node does not own the key; route by the ring in the reply";
            case WRITE_LOCKED -> "the key's range is moving to another node; retry shortly";
        };
        return known.name() + " (" + why + ")";
    }
}
