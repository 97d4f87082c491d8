package io.ringkv.faults;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One line of a network fault plan: which traffic it matches (protocol, direction, peer) and what
 * happens to each matching datagram, frame or peer request. The checks here are the limits a plan
 * may not cross, with messages meant for whoever typed the JSON.
 *
 * <p>{@code peer} is compared with the remote address a message travels from (inbound) or to
 * (outbound): a client's socket address, or a member's data-plane address for node-to-node requests.
 * Null matches every peer.
 *
 * @param dropPercent chance, 0..100, that a message is lost
 * @param duplicatePercent chance, 0..100, that a message that is not lost arrives twice
 * @param delayMs fixed delay before a message is delivered
 * @param jitterMs extra delay drawn uniformly from 0..jitterMs for each message
 * @param reorder hold about every other message back until a later one has passed (or for
 *     {@link NetworkFaults#REORDER_HOLD_MS}), so that messages overtake each other
 * @param cut lose everything between this node and the peer, both ways; on TCP connections are
 *     closed and refused as well. Excludes every other effect, and the direction.
 */
public record NetworkRule(Protocol protocol, Direction direction, InetSocketAddress peer, double dropPercent,
        double duplicatePercent, int delayMs, int jitterMs, boolean reorder, boolean cut) {

    /** A delay beyond this is an outage, not a delay: use {@code cut} for that. */
    public static final int DELAY_MS_MAX = 10_000;

    /** Which transport a rule applies to. */
    public enum Protocol { UDP, TCP, ALL }

    /** Which way a message travels, seen from this node. */
    public enum Direction { INBOUND, OUTBOUND, BOTH }

    public NetworkRule {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(direction, "direction");
        if (peer != null && peer.isUnresolved()) {
            throw new IllegalArgumentException("peer " + peer + " does not resolve to an address");
        }
        checkPercent("dropPercent", dropPercent);
        checkPercent("duplicatePercent", duplicatePercent);
        checkMs("delayMs", delayMs);
        checkMs("jitterMs", jitterMs);
        if (delayMs + jitterMs > DELAY_MS_MAX) {
            throw new IllegalArgumentException("delayMs + jitterMs is " + (delayMs + jitterMs) + ", above the cap of "
                    + DELAY_MS_MAX + " ms; use cut for an outage");
        }
        if (cut && (direction != Direction.BOTH || dropPercent > 0 || duplicatePercent > 0 || delayMs > 0
                || jitterMs > 0 || reorder)) {
            throw new IllegalArgumentException("cut loses everything both ways, so it takes no direction, drop,"
                    + " duplicate, delay, jitter or reorder; for a one-way loss use dropPercent 100 with a direction");
        }
    }

    /** Whether a message of {@code protocol} going {@code way} to or from {@code remote} is this rule's. */
    boolean matches(Protocol protocol, Direction way, InetSocketAddress remote) {
        return (this.protocol == Protocol.ALL || this.protocol == protocol)
                && (direction == Direction.BOTH || direction == way)
                && matchesPeer(remote);
    }

    /** Whether a TCP connection with {@code remote} is cut by this rule. */
    boolean cuts(Protocol protocol, InetSocketAddress remote) {
        return cut && (this.protocol == Protocol.ALL || this.protocol == protocol) && matchesPeer(remote);
    }

    private boolean matchesPeer(InetSocketAddress remote) {
        if (peer == null) {
            return true;
        }
        return remote != null && peer.getPort() == remote.getPort() && peer.getAddress().equals(remote.getAddress());
    }

    private static void checkPercent(String name, double value) {
        if (!(value >= 0 && value <= 100)) {
            throw new IllegalArgumentException(name + " must be between 0 and 100, was " + value);
        }
    }

    private static void checkMs(String name, int value) {
        if (value < 0 || value > DELAY_MS_MAX) {
            throw new IllegalArgumentException(name + " must be between 0 and " + DELAY_MS_MAX + " ms, was " + value);
        }
    }
}
