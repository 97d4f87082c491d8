package io.ringkv.ring;

import java.util.Objects;

/**
 * A storage node as the ring knows it: a stable id (its tokens derive from it) and where to reach
 * it. {@code port} serves UDP and TCP data traffic; {@code restPort} the admin API.
 */
public record Member(String id, String host, int port, int restPort) {
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        if (id.isBlank() || id.length() > 128) {
            throw new IllegalArgumentException("member id must be 1..128 characters: '" + id + "'");
        }
        if (port < 1 || port > 65_535 || restPort < 0 || restPort > 65_535) {
            throw new IllegalArgumentException("bad ports for member " + id + ": " + port + ", " + restPort);
        }
    }

    /** host:port of the data plane, for messages. */
    public String address() {
        return host + ":" + port;
    }
}
