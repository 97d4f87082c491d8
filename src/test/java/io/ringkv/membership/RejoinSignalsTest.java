package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.membership.Message.Gossip;
import io.ringkv.membership.Message.SyncReply;
import io.ringkv.membership.Message.SyncRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a node needs from the core to tell whether its data is current: whether the others declared
 * it dead (while it ran, or in a previous life before a restart), whether it has heard their
 * tables, and a view version that moves with all of that.
 */
class RejoinSignalsTest {

    @Test
    void aRefutedDeathIsCountedAndASuspicionIsNot() {
        Scenario s = new Scenario(Scenario.B, Scenario.C);
        long version = s.core.viewVersion();
        s.receive(Scenario.B, new Gossip(List.of(Update.suspect(Scenario.A, 0, "b"))));
        assertThat(s.core.incarnation()).isEqualTo(1);
        assertThat(s.core.deathsRefuted()).as("a suspicion refuted is no death").isZero();
        assertThat(s.core.viewVersion()).isGreaterThan(version);

        s.receive(Scenario.C, new Gossip(List.of(Update.dead(Scenario.A, 1, "c"))));
        assertThat(s.core.incarnation()).isEqualTo(2);
        assertThat(s.core.deathsRefuted()).isEqualTo(1);
        assertThat(s.core.deathsHeard()).isEqualTo(1);
    }

    @Test
    void aDeathReportedAfterASuspicionWasRefutedIsStillHeardAtItsIncarnation() {
        Scenario s = new Scenario(Scenario.B, Scenario.C);
        assertThat(s.core.deathIncarnationMax()).isEqualTo(-1);
        s.receive(Scenario.B, new Gossip(List.of(Update.suspect(Scenario.A, 0, "b"))));
        assertThat(s.core.incarnation()).isEqualTo(1);
        // C's suspicion ran out before the refutation reached it: it declared this member dead at 0.
        s.receive(Scenario.C, new Gossip(List.of(Update.dead(Scenario.A, 0, "c"))));
        assertThat(s.core.deathsRefuted()).as("already above it: nothing to refute").isZero();
        assertThat(s.core.deathIncarnationMax()).as("but the others went on without it").isZero();
    }

    @Test
    void aDeathOfAnOlderLifeIsHeardButNeedsNoRefutation() {
        Scenario s = new Scenario(Scenario.B, Scenario.C);
        // B remembers this member alive at 3 (before a restart): it goes above that at once ...
        s.receive(Scenario.B, new Gossip(List.of(Update.alive(Scenario.A, 3))));
        assertThat(s.core.incarnation()).isEqualTo(4);
        // ... and C's news that it died at 3 is about that older life: heard, not refuted.
        s.receive(Scenario.C, new Gossip(List.of(Update.dead(Scenario.A, 3, "c"))));
        assertThat(s.core.incarnation()).isEqualTo(4);
        assertThat(s.core.deathsRefuted()).isZero();
        assertThat(s.core.deathsHeard()).as("the cluster went on without the previous life").isEqualTo(1);
        assertThat(s.core.deathIncarnationMax()).isEqualTo(3);
    }

    @Test
    void joiningAsksEverySeedForItsTableEvenWhenAPeerListMadeThemKnown() {
        Scenario s = new Scenario(Scenario.B, Scenario.C);
        s.sent.clear();
        s.record(s.core.join(List.of(Scenario.B.address(), Scenario.C.address()), s.nowMs));
        assertThat(s.sent).filteredOn(o -> o.message() instanceof SyncRequest).extracting(o -> o.to())
                .containsExactlyInAnyOrder(Scenario.B.address(), Scenario.C.address());

        long version = s.core.viewVersion();
        s.receive(Scenario.B, new SyncReply(List.of(Update.alive(Scenario.B, 0), Update.dead(Scenario.A, 0, "b")),
                "", List.of()));
        assertThat(s.core.syncReplies()).isEqualTo(1);
        assertThat(s.core.deathsRefuted()).isEqualTo(1);
        assertThat(s.core.viewVersion()).isGreaterThan(version);
        assertThat(s.core.members()).extracting(u -> u.member().id()).containsExactly("b", "c");
    }

    @Test
    void aMemberThatSeesItsViewBehindPullsEveryLiveMembersTable() {
        Scenario s = new Scenario(Scenario.B, Scenario.C, Scenario.D);
        s.receive(Scenario.B, new Gossip(List.of(Update.dead(Scenario.D, 0, "b"))));
        s.sent.clear();
        s.record(s.core.syncWithLive(s.nowMs));
        assertThat(s.sent).filteredOn(o -> o.message() instanceof SyncRequest).extracting(o -> o.to())
                .containsExactlyInAnyOrder(Scenario.B.address(), Scenario.C.address());
    }

    @Test
    void aMemberBackFromTheDeadIsToldAtWhichIncarnationItWasDeclaredDead() {
        Scenario s = new Scenario(Scenario.B, Scenario.C);
        s.receive(Scenario.C, new Gossip(List.of(Update.dead(Scenario.B, 2, "c"))));
        s.sent.clear();
        // B refuted a suspicion on waking, never having heard of its death; C passes that on.
        s.receive(Scenario.C, new Gossip(List.of(Update.alive(Scenario.B, 3))));
        assertThat(s.sent).filteredOn(o -> o.to().equals(Scenario.B.address()))
                .anySatisfy(o -> assertThat(o.message().gossip()).contains(Update.dead(Scenario.B, 2, "c")));
        assertThat(s.core.stateOf("b")).isEqualTo(Update.alive(Scenario.B, 3));
    }
}
