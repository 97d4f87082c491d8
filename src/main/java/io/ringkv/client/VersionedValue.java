package io.ringkv.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A value as GET returns it, with the version that was stored alongside it.
 *
 * @param value the bytes; a fresh array owned by the caller
 * @param version the version given to the PUT that wrote the value (0 when none was given)
 */
public record VersionedValue(byte[] value, int version) {
    public VersionedValue {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null");
        }
    }

    /** The value decoded as UTF-8 (malformed bytes become U+FFFD). */
    public String valueUtf8() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionedValue other && version == other.version && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(value) + version;
    }

    @Override
    public String toString() {
        return "VersionedValue[" + value.length + " bytes, version " + version + "]";
    }
}
