package io.ringkv.membership;

import static io.ringkv.membership.Scenario.A;
import static io.ringkv.membership.Scenario.B;
import static io.ringkv.membership.Scenario.C;
import static io.ringkv.membership.Scenario.CONFIG;
import static io.ringkv.membership.Scenario.D;
import static io.ringkv.membership.Scenario.E;
import static io.ringkv.membership.Scenario.endpointAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.membership.MembershipEvent.Dead;
import io.ringkv.membership.MembershipEvent.Joined;
import io.ringkv.membership.MembershipEvent.Left;
import io.ringkv.membership.MembershipEvent.Suspected;
import io.ringkv.membership.Message.Ack;
import io.ringkv.membership.Message.Gossip;
import io.ringkv.membership.Message.Nack;
import io.ringkv.membership.Message.Ping;
import io.ringkv.membership.Message.PingReq;
import io.ringkv.membership.SwimCore.Outgoing;
import io.ringkv.membership.Update.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Member a's protocol core, scenario by scenario, on a manual clock with the default configuration
 * (1 s period, 500 ms probe timeout, 400 ms nack timeout, 3 indirect checks): the test plays the
 * other members by hand.
 */
class SwimCoreTest {
    private static final long PERIOD_MS = CONFIG.periodMs();
    private static final long PROBE_TIMEOUT_MS = CONFIG.probeTimeoutMs();

    @Test
    void aProbeAnsweredByAnAckSuspectsNobody() {
        Scenario s = new Scenario(B);
        Outgoing out = s.next(Ping.class, PERIOD_MS);
        Ping ping = (Ping) out.message();
        assertThat(out.to()).isEqualTo(B.address());
        assertThat(ping.targetId()).isEqualTo("b");

        s.receive(B, new Ack(ping.seq(), List.of()));
        s.advanceBy(PERIOD_MS); // the period ends, and the next probe starts

        assertThat(s.events(Suspected.class)).isEmpty();
        assertThat(s.sent).extracting(Outgoing::message).hasOnlyElementsOfType(Ping.class).hasSize(1);
        assertThat(s.core.healthScore()).isZero();
    }

    @Test
    void aPingNamesItsSenderSoThatAMemberWhomItsJoinNewsMissedLearnsOfIt() {
        Scenario s = new Scenario(B);
        Ping ping = (Ping) s.next(Ping.class, PERIOD_MS).message();
        assertThat(ping.gossip()).contains(Update.alive(A, 0));

        // The other side: a hears a probe from c, which it never heard of, and learns of c from it.
        s.sent.clear();
        s.receive(C, new Ping(77, "a", List.of(Update.alive(C, 0))));
        assertThat(s.events(Joined.class)).containsExactly(new Joined(C, 0));
        assertThat(s.sent).singleElement().satisfies(ack -> {
            assertThat(ack.to()).isEqualTo(C.address());
            assertThat(ack.message()).isInstanceOfSatisfying(Ack.class, a -> assertThat(a.seq()).isEqualTo(77));
        });
    }

    @Test
    void aProbeTimeoutSendsPingReqsAndAnIndirectAckSavesTheTarget() {
        Scenario s = new Scenario(B, C, D, E);
        Outgoing out = s.next(Ping.class, PERIOD_MS);
        Endpoint target = endpointAt(out.to());
        int seq = ((Ping) out.message()).seq();
        long sentAtMs = s.nowMs;

        s.advanceTo(sentAtMs + PROBE_TIMEOUT_MS - 1);
        assertThat(s.sent).as("nothing before the probe timeout").isEmpty();
        s.advanceTo(sentAtMs + PROBE_TIMEOUT_MS);
        assertThat(s.sent).hasSize(3).allSatisfy(req -> {
            assertThat(req.message()).isInstanceOfSatisfying(PingReq.class, r -> {
                assertThat(r.seq()).isEqualTo(seq);
                assertThat(r.target()).isEqualTo(target);
            });
            assertThat(req.to()).isNotEqualTo(target.address()).isNotEqualTo(A.address());
        });
        assertThat(s.sent).extracting(Outgoing::to).doesNotHaveDuplicates();

        Endpoint helper = endpointAt(s.sent.getFirst().to());
        s.receive(helper, new Ack(seq, List.of())); // the helper forwards the target's ack
        s.advanceTo(sentAtMs + PERIOD_MS);
        assertThat(s.events(Suspected.class)).isEmpty();
        assertThat(s.core.healthScore()).isZero();
    }

    @Test
    void anUnansweredProbeSuspectsTheTargetWhichDiesAfterTheMaximumSuspicionTimeout() {
        Scenario s = new Scenario(B, C, D, E);
        Outgoing out = s.next(Ping.class, PERIOD_MS);
        Endpoint target = endpointAt(out.to());
        long endOfPeriodMs = s.nowMs + PERIOD_MS;

        s.advanceTo(endOfPeriodMs - 1);
        assertThat(s.events(Suspected.class)).isEmpty();
        s.advanceTo(endOfPeriodMs);
        assertThat(s.events(Suspected.class)).containsExactly(new Suspected(target, 0));

        // 5 members: the minimum is 4 periods (log10 5 < 1), the maximum 6 times that; nobody confirms.
        long maxMs = CONFIG.suspicionMaxMs(5);
        assertThat(maxMs).isEqualTo(24_000);
        s.advanceTo(endOfPeriodMs + maxMs - 1);
        assertThat(s.events(Dead.class)).extracting(Dead::member).doesNotContain(target);
        s.advanceTo(endOfPeriodMs + maxMs);
        assertThat(s.events(Dead.class)).extracting(Dead::member).contains(target);
        assertThat(s.core.stateOf(target.id()).kind()).isEqualTo(Kind.DEAD);
    }

    @Test
    void independentConfirmationsShrinkTheSuspicionTimeoutLogarithmically() {
        Scenario s = new Scenario(B, C, D, E);
        Outgoing out = s.next(Ping.class, PERIOD_MS);
        Endpoint target = endpointAt(out.to());
        long startMs = s.nowMs + PERIOD_MS;
        s.advanceTo(startMs);
        assertThat(s.events(Suspected.class)).containsExactly(new Suspected(target, 0));

        List<Endpoint> accusers = new ArrayList<>(List.of(B, C, D, E));
        accusers.remove(target);
        s.receive(accusers.get(0), new Message.Gossip(List.of(Update.suspect(target, 0, accusers.get(0).id()))));
        s.receive(accusers.get(1), new Message.Gossip(List.of(Update.suspect(target, 0, accusers.get(1).id()))));
        s.receive(accusers.get(1), new Message.Gossip(List.of(Update.suspect(target, 0, accusers.get(1).id()))));

        // Two distinct confirmations of three expected: max - (max - min) * log(3) / log(4).
        long expectedMs = (long) Math.floor(24_000 - (24_000 - 4_000) * Math.log(3) / Math.log(4));
        assertThat(expectedMs).isEqualTo(8_150);
        s.advanceTo(startMs + expectedMs - 1);
        assertThat(s.events(Dead.class)).extracting(Dead::member).doesNotContain(target);
        s.advanceTo(startMs + expectedMs);
        assertThat(s.events(Dead.class)).extracting(Dead::member).contains(target);
    }

    @Test
    void aSuspectedMemberRefutesWithAHigherIncarnationInItsVeryReply() {
        Scenario s = new Scenario(B, C);
        s.receive(B, new Ping(9, "a", List.of(Update.suspect(A, 0, "b"))));

        assertThat(s.core.incarnation()).isEqualTo(1);
        assertThat(s.core.healthScore()).as("having to refute is a sign of poor health").isEqualTo(1);
        Outgoing ack = s.sent.getFirst();
        assertThat(ack.to()).isEqualTo(B.address());
        assertThat(ack.message()).isInstanceOfSatisfying(Ack.class, a -> {
            assertThat(a.seq()).isEqualTo(9);
            assertThat(a.gossip().getFirst()).isEqualTo(Update.alive(A, 1));
        });
        assertThat(s.core.stats().refutations()).isEqualTo(1);
    }

    @Test
    void incarnationsOrderTheNews() {
        Scenario s = new Scenario(B, C);
        gossip(s, Update.suspect(B, 0, "c"));
        assertThat(s.core.stateOf("b").kind()).as("suspect overrides alive at the same incarnation")
                .isEqualTo(Kind.SUSPECT);

        gossip(s, Update.alive(B, 0));
        assertThat(s.core.stateOf("b").kind()).as("alive does not override suspect at the same incarnation")
                .isEqualTo(Kind.SUSPECT);
        assertThat(s.sent).as("the sender of the stale news is corrected").last()
                .satisfies(o -> assertThat(o.message().gossip()).contains(Update.suspect(B, 0, "c")));

        gossip(s, Update.alive(B, 1));
        assertThat(s.core.stateOf("b")).as("alive at a higher incarnation overrides suspect")
                .isEqualTo(Update.alive(B, 1));

        gossip(s, Update.suspect(B, 0, "c"));
        assertThat(s.core.stateOf("b").kind()).as("a suspicion of an older incarnation is stale").isEqualTo(Kind.ALIVE);

        gossip(s, Update.dead(B, 1, "c"));
        assertThat(s.core.stateOf("b").kind()).as("dead overrides alive at the same incarnation").isEqualTo(Kind.DEAD);

        gossip(s, Update.alive(B, 1));
        gossip(s, Update.suspect(B, 1, "c"));
        assertThat(s.core.stateOf("b").kind()).as("nothing at the same incarnation revives the dead")
                .isEqualTo(Kind.DEAD);

        gossip(s, Update.alive(B, 2));
        assertThat(s.core.stateOf("b")).as("a higher incarnation does").isEqualTo(Update.alive(B, 2));

        gossip(s, Update.left(B, 2));
        assertThat(s.core.stateOf("b").kind()).isEqualTo(Kind.LEFT);

        assertThat(s.events).extracting(e -> e.getClass().getSimpleName() + " " + e.incarnation()).containsExactly(
                "Suspected 0", "Alive 1", "Dead 1", "Joined 2", "Left 2");
        assertThat(s.core.liveMembers()).containsExactly(C);
    }

    private static void gossip(Scenario s, Update update) {
        s.receive(C, new Gossip(List.of(update)));
    }

    @Test
    void eachUpdateIsPiggybackedExactlyTheRetransmitLimitTimes() {
        List<Endpoint> others = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            others.add(Endpoint.of("m" + i, "10.0.1." + i, 7000));
        }
        Scenario s = new Scenario(CONFIG, 7, others.toArray(Endpoint[]::new));
        Endpoint newcomer = Endpoint.of("f", "10.0.2.1", 7000);
        s.receive(others.getFirst(), new Gossip(List.of(Update.alive(newcomer, 0))));
        assertThat(s.events(Joined.class)).containsExactly(new Joined(newcomer, 0));

        // 11 members: 4 * ceil(log10(12)) = 8 transmissions. Every ping is answered, so nobody is suspected.
        int limit = CONFIG.retransmitLimit(11);
        assertThat(limit).isEqualTo(8);
        int carried = 0;
        for (int period = 0; period < 3 * limit; period++) {
            carried += carrying(s.sent, newcomer);
            List<Outgoing> pings = s.sent.stream().filter(o -> o.message() instanceof Ping).toList();
            s.sent.clear();
            for (Outgoing ping : pings) {
                s.record(s.core.handle(ping.to(), new Ack(((Ping) ping.message()).seq(), List.of()), s.nowMs));
            }
            carried += carrying(s.sent, newcomer);
            s.sent.clear();
            s.advanceBy(PERIOD_MS);
        }
        assertThat(carried).isEqualTo(limit);
        assertThat(s.core.gossipPending()).isZero();
    }

    private static int carrying(List<Outgoing> sent, Endpoint member) {
        return (int) sent.stream()
                .filter(o -> o.message().gossip().stream().anyMatch(u -> u.member().equals(member)))
                .count();
    }

    @Test
    void localHealthRisesWithMissedNacksStretchesTheProbePeriodAndFallsWithSuccess() {
        Scenario s = new Scenario(B, C, D, E);
        long firstPingMs = pingTime(s);
        s.sent.clear();
        s.advanceTo(firstPingMs + PERIOD_MS); // three helpers asked, no nack came
        assertThat(s.core.healthScore()).isEqualTo(3);

        // The period is stretched to (3 + 1) periods: the ping after the next comes 4 s after it.
        Outgoing second = s.sent.stream().filter(o -> o.message() instanceof Ping).findFirst().orElseThrow();
        long secondPingMs = s.nowMs;
        assertThat(secondPingMs).isEqualTo(firstPingMs + PERIOD_MS);
        Ping ping = (Ping) second.message();
        s.receive(endpointAt(second.to()), new Ack(ping.seq(), List.of()));
        assertThat(s.core.healthScore()).isEqualTo(2);
        s.sent.clear();
        assertThat(pingTime(s)).isEqualTo(secondPingMs + 4 * PERIOD_MS);
    }

    @Test
    void nacksTellThatTheTroubleIsNotOurs() {
        Scenario s = new Scenario(B, C, D, E);
        long pingMs = pingTime(s);
        int seq = ((Ping) s.sent.getLast().message()).seq();
        s.sent.clear();
        s.advanceTo(pingMs + PROBE_TIMEOUT_MS);
        List<Outgoing> reqs = List.copyOf(s.sent);
        s.receive(endpointAt(reqs.get(0).to()), new Nack(seq, List.of()));
        s.receive(endpointAt(reqs.get(1).to()), new Nack(seq, List.of()));
        s.advanceTo(pingMs + PERIOD_MS);
        assertThat(s.core.healthScore()).as("one of three nacks missing").isEqualTo(1);
    }

    /** Advances to a's next ping, leaves it last in {@code s.sent}, and returns when it was sent. */
    private static long pingTime(Scenario s) {
        Outgoing ping = s.next(Ping.class, 20 * PERIOD_MS);
        s.sent.clear();
        s.sent.add(ping);
        return s.nowMs;
    }

    @Test
    void anIntermediaryForwardsTheTargetsAckOrSendsANackInTime() {
        Scenario s = new Scenario(B, C);
        s.receive(C, new PingReq(77, B, List.of()));
        Outgoing ping = s.sent.removeFirst();
        assertThat(ping.to()).isEqualTo(B.address());
        int mySeq = ((Ping) ping.message()).seq();
        s.receive(B, new Ack(mySeq, List.of()));
        assertThat(s.sent.removeFirst()).satisfies(o -> {
            assertThat(o.to()).isEqualTo(C.address());
            assertThat(o.message()).isInstanceOfSatisfying(Ack.class, a -> assertThat(a.seq()).isEqualTo(77));
        });

        s.receive(C, new PingReq(78, B, List.of()));
        s.sent.clear();
        long askedMs = s.nowMs;
        s.advanceTo(askedMs + CONFIG.nackTimeoutMs() - 1);
        assertThat(s.sent).noneMatch(o -> o.message() instanceof Nack);
        s.advanceTo(askedMs + CONFIG.nackTimeoutMs());
        assertThat(s.sent).filteredOn(o -> o.message() instanceof Nack).singleElement().satisfies(o -> {
            assertThat(o.to()).isEqualTo(C.address());
            assertThat(((Nack) o.message()).seq()).isEqualTo(78);
        });
    }

    @Test
    void aPingForAnotherMemberIsNotAcknowledged() {
        Scenario s = new Scenario(B);
        s.receive(B, new Ping(3, "someone-else", List.of()));
        assertThat(s.sent).isEmpty();
        assertThat(s.core.stats().misdirectedPings()).isEqualTo(1);
    }

    @Test
    void aStallOfThisMemberSuspectsNobody() {
        Scenario s = new Scenario(B);
        s.next(Ping.class, PERIOD_MS);
        s.nowMs += 10 * PERIOD_MS; // SIGSTOP: no tick for ten periods, b's ack waits in the socket
        s.advanceTo(s.nowMs);
        assertThat(s.core.stats().stalls()).isEqualTo(1);
        assertThat(s.events(Suspected.class)).as("an unanswered probe proves nothing when we slept").isEmpty();
    }

    @Test
    void aLeavingMemberTellsOthersWhoMarkItLeft() {
        Scenario s = new Scenario(B, C, D);
        s.record(s.core.leave(s.nowMs));
        assertThat(s.sent).hasSize(3).allSatisfy(o -> assertThat(o.message()).isInstanceOfSatisfying(Gossip.class,
                g -> assertThat(g.gossip()).contains(Update.left(A, 0))));

        SwimCore b = new SwimCore(CONFIG, B, new SplittableRandom(1), s.nowMs);
        b.addMembers(List.of(A, C, D), s.nowMs);
        SwimCore.Output output = b.handle(A.address(), s.sent.getFirst().message(), s.nowMs);
        assertThat(output.events()).containsExactly(new Left(A, 0));
        assertThat(b.liveMembers()).containsExactly(C, D);
    }
}
