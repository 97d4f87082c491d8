package io.ringkv.history;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * What a present key holds in the CPEN 431 protocol: the value bytes and the version its PUT
 * carried. Both take part in equality, because a GET returns both and a node that returned the
 * right bytes with another PUT's version has still shown a state nobody wrote.
 *
 * <p>{@link ByteString} rather than {@code byte[]}: immutable, with value equality and a cached
 * hash, so a value can be shared between the history, the model and reports without copies.
 */
public record Value(ByteString bytes, int version) {
    /** Longer byte strings are cut in reports; a history's values are told apart by their start. */
    private static final int SHOWN_BYTES_MAX = 40;

    public Value {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes must not be null");
        }
    }

    public static Value of(String utf8, int version) {
        return new Value(ByteString.copyFrom(utf8, StandardCharsets.UTF_8), version);
    }

    @Override
    public String toString() {
        return show(bytes) + "@v" + version;
    }

    /**
     * The bytes as a quoted string when they are short printable ASCII (the tests' keys and values
     * are), else as their length and leading bytes in hex.
     */
    public static String show(ByteString bytes) {
        if (bytes.size() <= SHOWN_BYTES_MAX && printable(bytes)) {
            return '"' + bytes.toStringUtf8() + '"';
        }
        int shown = Math.min(bytes.size(), 8);
        return "<" + bytes.size() + " B " + HexFormat.of().formatHex(bytes.substring(0, shown).toByteArray())
                + (shown < bytes.size() ? "..." : "") + ">";
    }

    private static boolean printable(ByteString bytes) {
        for (int i = 0; i < bytes.size(); i++) {
            int b = bytes.byteAt(i) & 0xFF;
            if (b < 0x20 || b > 0x7E || b == '"') {
                return false;
            }
        }
        return true;
    }
}
