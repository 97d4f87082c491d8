package io.ringkv.node;

import io.ringkv.membership.Address;
import io.ringkv.membership.MembershipView;
import io.ringkv.membership.Update;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import java.util.ArrayList;
import java.util.List;

/**
 * The ring a member of a cluster without an ECS routes by: a pure function of its membership view,
 * so that members that believe the same compute the same ring, epoch included.
 *
 * <p>Members are named by their data address ({@code host:port}, as in the peer list), which is
 * also where the ring sends their keys; the ring holds those believed alive or suspected (a
 * suspect may be slow, not gone, and moving its keys on every suspicion would cost more than a
 * short wait).
 *
 * <p>The epoch is {@code 1 + Σ (2 · incarnation + (dead or left ? 1 : 0))} over every member known,
 * dead ones included. Each step a member's state can take raises its term: declared dead (+1),
 * back at a higher incarnation (+1 at least), refuting a suspicion (+2). So a member's epoch only
 * grows as it learns news, and two members that learned the same news compute the same epoch.
 * Two members that learned <em>different</em> news can compute the same epoch for different rings;
 * that lasts until gossip has carried the news both ways (a few protocol periods), and the ring
 * change it belongs to then gets a higher epoch on both.
 */
final class MembershipRing {
    private MembershipRing() {}

    /** The ring of everyone the view holds alive or suspected, this member included. */
    static Ring of(MembershipView view, int vnodes, int replicationFactor) {
        return build(view, vnodes, replicationFactor, true);
    }

    /**
     * The ring the others routed by before this member refuted its death: without it, and with its
     * term at the incarnation they declared dead (one below the one it refuted with).
     */
    static Ring withoutSelf(MembershipView view, int vnodes, int replicationFactor) {
        return build(view, vnodes, replicationFactor, false);
    }

    private static Ring build(MembershipView view, int vnodes, int replicationFactor, boolean selfLive) {
        List<Member> members = new ArrayList<>(view.members().size() + 1);
        long epoch = 1;
        for (Update m : view.members()) {
            boolean down = m.kind() == Update.Kind.DEAD || m.kind() == Update.Kind.LEFT;
            epoch += 2 * m.incarnation() + (down ? 1 : 0);
            if (!down) {
                members.add(member(m.member().id()));
            }
        }
        if (selfLive) {
            epoch += 2 * view.incarnation();
            members.add(member(view.self().id()));
        } else {
            epoch += Math.max(0, 2 * view.incarnation() - 1);
        }
        return Ring.of(epoch, vnodes, replicationFactor, members);
    }

    private static Member member(String id) {
        Address data = Address.parse(id);
        return new Member(id, data.host(), data.port(), 0);
    }
}
