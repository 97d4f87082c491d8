package io.ringkv.membership;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Where a member's membership socket listens: a host name or literal and a UDP port. Kept as text
 * so that the protocol core never resolves names (resolution blocks and is the runner's business).
 */
public record Address(String host, int port) {
    /** Longest host, in UTF-8 bytes: the codec writes its length in one byte. */
    public static final int HOST_BYTES_MAX = 255;

    public Address {
        Objects.requireNonNull(host, "host");
        int bytes = host.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > HOST_BYTES_MAX) {
            throw new IllegalArgumentException("host must be 1.." + HOST_BYTES_MAX + " UTF-8 bytes: '" + host + "'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
    }

    /** Parses {@code host:port} (the last colon separates, so IPv6 literals need no brackets). */
    public static Address parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
        }
        try {
            return new Address(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'", e);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
