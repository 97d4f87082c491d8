package io.ringkv.wire;

/**
 * Request commands. The numeric codes are the protocol (CPEN 431 for 0x01..0x08); ONLY APPEND.
 * Codes from 0x20 up are ringkv's own.
 */
public enum Command {
    PUT(0x01),
    GET(0x02),
    REMOVE(0x03),
    SHUTDOWN(0x04),
    WIPEOUT(0x05),
    IS_ALIVE(0x06),
    GET_PID(0x07),
    GET_MEMBERSHIP_COUNT(0x08),
    /** Node to node: store key/value/version on the receiving node itself, whatever its ring says. */
    STORE_PUT(0x20),
    /** Node to node: remove key on the receiving node itself, whatever its ring says. */
    STORE_REMOVE(0x21),
    /** The ring the node routes by, in {@code KVResponse.ring}. */
    GET_RING(0x22),
    /**
     * Node to node: push every key of a range, as it stands on the receiving node, to the sender
     * (STORE_PUT/STORE_REMOVE stamped with {@code ringEpoch}), then answer. {@code key} is the range
     * (start exclusive, end inclusive: two big-endian longs), {@code value} the sender's member id.
     * A node that rejoins after the cluster went on without it pulls what it now leads this way.
     */
    RANGE_PULL(0x23),
    /**
     * Node to node: send this heartbeat to your ECS for me, and answer with its reply. {@code key}
     * is the sender's node id, {@code value} the heartbeat's JSON body, signed with the admin token
     * (the ECS checks the signature, so a relay cannot forge one); the reply's {@code value} is the
     * ECS's JSON answer. How a node whose own link to the ECS is broken keeps its lease.
     */
    HEARTBEAT_RELAY(0x24),
    /**
     * Node to node: list the keys you hold in a range, a page at a time (see {@code
     * io.ringkv.replication.RangeKeys}): {@code key} is the range as for RANGE_PULL, {@code value}
     * the last key of the previous page. A syncing primary removes on its backups what it does not
     * hold itself.
     */
    RANGE_KEYS(0x25);

    private static final Command[] BY_CODE = new Command[0x100];

    static {
        for (Command c : values()) {
            BY_CODE[c.code] = c;
        }
    }

    private final int code;

    Command(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The command with this code, or null when the code is unknown (the caller replies UNKNOWN_COMMAND). */
    public static Command of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
