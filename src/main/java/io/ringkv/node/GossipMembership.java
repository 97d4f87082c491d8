package io.ringkv.node;

import io.ringkv.membership.Address;
import io.ringkv.membership.MembershipEvent;
import io.ringkv.membership.MembershipView;
import io.ringkv.membership.SwimRunner;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.slf4j.Logger;

/**
 * The membership protocol as a node runs it: among the static peer list of a cluster without an
 * ECS ({@link PeerMembership}), or among the members of the ECS's ring ({@link EcsGossip}).
 * Thread-safe; every method returns at once.
 */
interface GossipMembership {
    /** The latest snapshot of what this node's membership protocol knows. */
    MembershipView view();

    SwimRunner.Stats stats();

    /** Whether the node takes part: in a cluster without an ECS, once it has heard the others or waited. */
    boolean bootstrapped();

    /** Rings this node took from a peer because that peer's gossip carried a newer epoch. */
    long ringsFromGossip();

    /** A member's membership address: its data port plus the offset, its host as an IP literal when it resolves. */
    static Address gossipAddress(String host, int dataPort, int gossipPortOffset) {
        String literal;
        try {
            literal = InetAddress.getByName(host).getHostAddress();
        } catch (UnknownHostException e) {
            literal = host; // the runner tries again when it sends
        }
        return new Address(literal, dataPort + gossipPortOffset);
    }

    /** Deaths as warnings, (re)joins as news, the rest for debugging. */
    static void log(Logger log, MembershipEvent event) {
        switch (event) {
            case MembershipEvent.Dead dead -> log.warn("member {} is dead (incarnation {})", dead.member().id(),
                    dead.incarnation());
            case MembershipEvent.Joined joined -> log.info("member {} is alive (incarnation {})",
                    joined.member().id(), joined.incarnation());
            default -> log.debug("membership: {}", event);
        }
    }
}
