package io.ringkv.admin;

import java.util.List;
import java.util.Objects;

/**
 * What a node's heartbeat says, as its signature covers it: the process, the epoch it routes by, a
 * number that grows with every heartbeat of that process, and the members its gossip finds dead. A
 * heartbeat relayed by another node is taken only with a valid signature, so that the relay can
 * neither forge one nor change what it says; the number lets the ECS refuse a replayed one.
 */
public record SignedHeartbeat(String id, String incarnation, long epoch, long seq, List<String> dead) {
    public SignedHeartbeat {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(incarnation, "incarnation");
        dead = List.copyOf(dead);
    }

    /** The bytes the signature covers, one field per line (ids never hold a line feed or a comma). */
    String message() {
        return "heartbeat\n" + id + "\n" + incarnation + "\n" + epoch + "\n" + seq + "\n" + String.join(",", dead);
    }

    public String sign(AdminToken token) {
        return token.sign(message());
    }

    public boolean verify(AdminToken token, String signature) {
        return token.verify(message(), signature);
    }
}
