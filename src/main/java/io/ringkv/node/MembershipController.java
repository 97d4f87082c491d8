package io.ringkv.node;

import io.ringkv.membership.MembershipView;
import io.ringkv.membership.SwimRunner;
import io.ringkv.replication.CatchUp;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What this node's gossip membership believes ({@code GET /api/v1/node/membership}): among its
 * static peers without an ECS, or among the ECS's ring members.
 */
@RestController
@Profile("node")
@RequestMapping("/api/v1/node")
class MembershipController {
    private final ObjectProvider<GossipMembership> membership;
    private final CatchUp catchUp;

    MembershipController(ObjectProvider<GossipMembership> membership, CatchUp catchUp) {
        this.membership = membership;
        this.catchUp = catchUp;
    }

    /** One member as this node sees it. */
    record MemberState(String id, String gossipAddress, String state, long incarnation) {}

    /**
     * @param rangesPending ranges this node leads and is still pulling (-1: its data is being
     *     dropped and it has not yet been given a ring that names it)
     */
    record Membership(String self, long incarnation, boolean bootstrapped, int live, List<MemberState> members,
            long deathsRefuted, long deathsHeard, long syncReplies, int rangesPending, long rangesPulled,
            long keysServed, long ringsFromGossip, SwimRunner.Stats datagrams) {}

    @GetMapping("/membership")
    ResponseEntity<?> membership() {
        GossipMembership peers = membership.getIfAvailable();
        if (peers == null) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                    "this node gossips with no peers (a lone node, or ringkv.cluster.gossip is off)");
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
        }
        MembershipView view = peers.view();
        List<MemberState> members = view.members().stream()
                .map(m -> new MemberState(m.member().id(), m.member().address().toString(),
                        m.kind().name().toLowerCase(java.util.Locale.ROOT), m.incarnation()))
                .toList();
        return ResponseEntity.ok(new Membership(view.self().id(), view.incarnation(), peers.bootstrapped(),
                view.liveCount(), members, view.deathsRefuted(), view.deathsHeard(), view.syncReplies(),
                catchUp.rangesPending(), catchUp.rangesPulled(), catchUp.keysServed(), peers.ringsFromGossip(),
                peers.stats()));
    }
}
