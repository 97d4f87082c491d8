package io.ringkv.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.membership.Endpoint;
import io.ringkv.membership.MembershipView;
import io.ringkv.membership.Update;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ring of a cluster without an ECS as a function of a membership view, and the peer list. */
class MembershipRingTest {
    private static final Endpoint A = Endpoint.of("127.0.0.1:7001", "127.0.0.1", 8001);
    private static final Endpoint B = Endpoint.of("127.0.0.1:7002", "127.0.0.1", 8002);
    private static final Endpoint C = Endpoint.of("127.0.0.1:7003", "127.0.0.1", 8003);

    /** What {@code self} believes: its incarnation and the others' updates. */
    private static MembershipView view(Endpoint self, long incarnation, Update... others) {
        return new MembershipView(self, incarnation, List.of(others), 0, 0, -1, 1, 0, 0);
    }

    private static List<String> ids(Ring ring) {
        return ring.members().stream().map(Member::id).sorted().toList();
    }

    @Test
    void membersWhoBelieveTheSameComputeTheSameRing() {
        Ring fromA = MembershipRing.of(view(A, 1, Update.alive(B, 0), Update.suspect(C, 2, "a")), 16, 3);
        Ring fromB = MembershipRing.of(view(B, 0, Update.alive(A, 1), Update.suspect(C, 2, "b")), 16, 3);
        assertThat(fromA).isEqualTo(fromB);
        assertThat(fromA.epoch()).isEqualTo(1 + 2 + 0 + 4);
        assertThat(ids(fromA)).as("a suspect stays in the ring").containsExactly(A.id(), B.id(), C.id());
        Member c = fromA.member(C.id()).orElseThrow();
        assertThat(c.port()).as("members are reached at their data address, their id").isEqualTo(7003);
    }

    @Test
    void everyPieceOfNewsRaisesTheEpoch() {
        List<Ring> rings = new ArrayList<>();
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 0), Update.alive(C, 0)), 16, 3));
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 0), Update.suspect(C, 0, "a")), 16, 3));
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 0), Update.dead(C, 0, "a")), 16, 3));
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 1), Update.dead(C, 0, "a")), 16, 3));
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 1), Update.alive(C, 1)), 16, 3));
        rings.add(MembershipRing.of(view(A, 0, Update.alive(B, 1), Update.left(C, 1)), 16, 3));
        for (int i = 1; i < rings.size(); i++) {
            if (!ids(rings.get(i)).equals(ids(rings.get(i - 1)))) {
                assertThat(rings.get(i).epoch()).as("ring %d changed members", i)
                        .isGreaterThan(rings.get(i - 1).epoch());
            }
            assertThat(rings.get(i).epoch()).isGreaterThanOrEqualTo(rings.get(i - 1).epoch());
        }
        assertThat(ids(rings.get(2))).containsExactly(A.id(), B.id());
        assertThat(ids(rings.get(5))).containsExactly(A.id(), B.id());
    }

    @Test
    void theRingWithoutSelfIsTheOneTheOthersRoutedByBeforeTheRefutation() {
        // B and C declared A dead at incarnation 2; A refuted at 3.
        Ring others = MembershipRing.of(view(B, 0, Update.dead(A, 2, "b"), Update.alive(C, 0)), 16, 3);
        MembershipView refuted = view(A, 3, Update.alive(B, 0), Update.alive(C, 0));
        Ring without = MembershipRing.withoutSelf(refuted, 16, 3);
        assertThat(without).isEqualTo(others);
        Ring back = MembershipRing.of(refuted, 16, 3);
        assertThat(back.epoch()).isGreaterThan(without.epoch());
        assertThat(ids(back)).contains(A.id());
    }

    @Test
    void thePeerListIsAListOrAFileAndNamesThisNode(@TempDir Path dir) throws IOException {
        var list = PeerMembership.parse("127.0.0.1:7001, 127.0.0.1:7002,127.0.0.1:7002,127.0.0.1:7003", "127.0.0.1", 7002);
        assertThat(list.ids()).containsExactly("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003");
        assertThat(list.selfId()).isEqualTo("127.0.0.1:7002");

        Path servers = dir.resolve("servers.txt");
        Files.writeString(servers, "# the course's servers.txt\n127.0.0.1:7001\n\nlocalhost:7002\n");
        var fromFile = PeerMembership.parse(servers.toString(), "127.0.0.1", 7002);
        assertThat(fromFile.ids()).containsExactly("127.0.0.1:7001", "localhost:7002");
        assertThat(fromFile.selfId()).as("found by address, as written in the list").isEqualTo("localhost:7002");

        assertThatThrownBy(() -> PeerMembership.parse("127.0.0.1:7001,127.0.0.1:7003", "127.0.0.1", 7002))
                .hasMessageContaining("does not list this node");
        assertThatThrownBy(() -> PeerMembership.parse("127.0.0.1:7001,nonsense", "127.0.0.1", 7001))
                .hasMessageContaining("ringkv.cluster.peers");
        assertThatThrownBy(() -> PeerMembership.parse(dir.resolve("missing.txt").toString(), "127.0.0.1", 7001))
                .hasMessageContaining("cannot read the peer file");
    }
}
