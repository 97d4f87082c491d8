package io.ringkv.wire;

/**
 * Reply codes. The numeric codes are the protocol (CPEN 431 for 0x00..0x07); ONLY APPEND.
 * Codes from 0x20 up are ringkv's own.
 */
public enum ErrorCode {
    SUCCESS(0x00, "success"),
    NO_SUCH_KEY(0x01, "no such key"),
    OUT_OF_SPACE(0x02, "out of space"),
    OVERLOAD(0x03, "overloaded, retry later"),
    INTERNAL_FAILURE(0x04, "internal failure"),
    UNKNOWN_COMMAND(0x05, "unknown command"),
    INVALID_KEY(0x06, "invalid key"),
    INVALID_VALUE(0x07, "invalid value"),
    /** A ring-aware client asked the wrong node; the reply carries the node's ring. */
    NOT_RESPONSIBLE(0x20, "not responsible for this key, see the ring in the reply"),
    /** The key's range is moving to another node right now; retry in a moment. */
    WRITE_LOCKED(0x21, "range is moving, retry shortly");

    private static final ErrorCode[] BY_CODE = new ErrorCode[0x100];

    static {
        for (ErrorCode e : values()) {
            BY_CODE[e.code] = e;
        }
    }

    private final int code;
    private final String description;

    ErrorCode(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    /** A short human-readable meaning, for CLI and log messages. */
    public String description() {
        return description;
    }

    /** The code with this number, or null when it is not one we know. */
    public static ErrorCode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
