package io.ringkv.membership;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A member's identity: its node id, stable across restarts, and the address of its membership
 * socket. Two endpoints with the same id are the same member; a member that restarts on another
 * port keeps its id and announces the new address with a higher incarnation.
 */
public record Endpoint(String id, Address address) {
    /** Longest id, in UTF-8 bytes, as for ring members; the codec writes its length in one byte. */
    public static final int ID_BYTES_MAX = 128;

    public Endpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        int bytes = id.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > ID_BYTES_MAX) {
            throw new IllegalArgumentException("member id must be 1.." + ID_BYTES_MAX + " UTF-8 bytes: '" + id + "'");
        }
    }

    public static Endpoint of(String id, String host, int port) {
        return new Endpoint(id, new Address(host, port));
    }

    @Override
    public String toString() {
        return id + "@" + address;
    }
}
