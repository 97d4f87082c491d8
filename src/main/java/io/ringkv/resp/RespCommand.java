package io.ringkv.resp;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The commands ringkv answers over RESP, with what {@code COMMAND} reports about them in Redis's
 * terms: arity (positive: exactly that many words, the name included; negative: at least its
 * absolute value), flags, and the positions of the first key, last key (-1: the last argument)
 * and the step between keys.
 */
public enum RespCommand {
    PING(-1, List.of("fast", "stale"), 0, 0, 0, "connection", "Returns the server's liveliness response."),
    ECHO(2, List.of("fast", "stale"), 0, 0, 0, "connection", "Returns the given string."),
    GET(2, List.of("readonly", "fast"), 1, 1, 1, "string", "Returns the string value of a key."),
    SET(-3, List.of("write", "denyoom"), 1, 1, 1, "string",
            "Sets the string value of a key (NX and XX supported; expiry not yet)."),
    DEL(-2, List.of("write"), 1, -1, 1, "generic", "Deletes one or more keys."),
    EXISTS(-2, List.of("readonly", "fast"), 1, -1, 1, "generic", "Determines whether one or more keys exist."),
    MGET(-2, List.of("readonly", "fast"), 1, -1, 1, "string", "Atomically returns the string values of one or more keys."),
    MSET(-3, List.of("write", "denyoom"), 1, -1, 2, "string",
            "Sets the string values of one or more keys (not atomically in ringkv)."),
    DBSIZE(1, List.of("readonly", "fast"), 0, 0, 0, "server", "Returns the number of keys on the node answering."),
    INFO(-1, List.of("loading", "stale"), 0, 0, 0, "server", "Returns information and statistics about the server."),
    SELECT(2, List.of("loading", "stale", "fast"), 0, 0, 0, "connection", "Changes the selected database (only 0)."),
    QUIT(-1, List.of("loading", "stale", "fast"), 0, 0, 0, "connection", "Closes the connection."),
    COMMAND(-1, List.of("loading", "stale"), 0, 0, 0, "server", "Returns detailed information about all commands."),
    CLIENT(-2, List.of("loading", "stale"), 0, 0, 0, "connection", "A container for client connection commands."),
    HELLO(-1, List.of("noscript", "loading", "stale", "fast", "no_auth"), 0, 0, 0, "connection",
            "Handshakes with the server (RESP2 only)."),
    AUTH(-2, List.of("noscript", "loading", "stale", "fast", "no_auth"), 0, 0, 0, "connection",
            "Authenticates the connection (ringkv has no users; the default user needs no password)."),
    CONFIG(-2, List.of("admin", "noscript", "loading", "stale"), 0, 0, 0, "server",
            "CONFIG GET of a few Redis settings, for tools that ask (redis-benchmark).");

    private static final Map<String, RespCommand> BY_NAME = Stream.of(values())
            .collect(Collectors.toUnmodifiableMap(c -> c.name().toLowerCase(Locale.ROOT), Function.identity()));

    private final int arity;
    private final List<String> flags;
    private final int firstKey;
    private final int lastKey;
    private final int keyStep;
    private final String group;
    private final String summary;
    private final String lowerName = name().toLowerCase(Locale.ROOT);

    RespCommand(int arity, List<String> flags, int firstKey, int lastKey, int keyStep, String group, String summary) {
        this.arity = arity;
        this.flags = flags;
        this.firstKey = firstKey;
        this.lastKey = lastKey;
        this.keyStep = keyStep;
        this.group = group;
        this.summary = summary;
    }

    /** The command named by {@code name} in any letter case, or null. */
    public static RespCommand of(byte[] name) {
        // GET and SET, most of all commands, without building a string (a bit 0x20 lowers a letter
        // and turns no other byte into one).
        if (name.length == 3 && (name[1] | 0x20) == 'e' && (name[2] | 0x20) == 't') {
            int first = name[0] | 0x20;
            if (first == 'g') {
                return GET;
            }
            if (first == 's') {
                return SET;
            }
        }
        if (name.length > 16) {
            return null;
        }
        return BY_NAME.get(new String(name, java.nio.charset.StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
    }

    /**
     * How a command touches data, for read-your-writes on a connection: a read waits until the
     * connection's earlier writes have completed, since the store shows a write to readers only
     * then; a write is issued at once (the store applies writes to a key in the order they were
     * issued). A SET with NX or XX reads, then writes.
     */
    public enum Access {
        NONE,
        READ,
        WRITE,
        READ_WRITE
    }

    /** The access of this command with these arguments (the name included). */
    public Access access(int words) {
        return switch (this) {
            case GET, EXISTS, MGET, DBSIZE, INFO -> Access.READ;
            case DEL, MSET -> Access.WRITE;
            case SET -> words > 3 ? Access.READ_WRITE : Access.WRITE;
            default -> Access.NONE;
        };
    }

    /** Whether {@code words} (the name included) fit the arity. */
    public boolean arityAllows(int words) {
        return arity >= 0 ? words == arity : words >= -arity;
    }

    public String lowerName() {
        return lowerName;
    }

    public int arity() {
        return arity;
    }

    public List<String> flags() {
        return flags;
    }

    public int firstKey() {
        return firstKey;
    }

    public int lastKey() {
        return lastKey;
    }

    public int keyStep() {
        return keyStep;
    }

    public String group() {
        return group;
    }

    public String summary() {
        return summary;
    }
}
