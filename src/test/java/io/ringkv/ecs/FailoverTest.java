package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.ecs.Detection.Cause;
import io.ringkv.ecs.NodeClient.HandoffState;
import io.ringkv.ring.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Failure detection, failover rings, leases, fencing and rejoin on the {@link CoordinatorHarness}:
 * nodes heartbeat when the test says so, the detector's rounds run every 300 ms of the manual clock.
 */
class FailoverTest extends CoordinatorHarness {
    /** Three copies, as the ECS's default: a failover ring must keep the cluster's factor. */
    @Override
    int replicationFactor() {
        return 3;
    }

    private static final Duration ROUND = Failover.roundInterval(FAILURE_TIMEOUT);
    /** Nodes that stopped heartbeating (killed or paused). */
    private final Set<String> silent = new HashSet<>();
    /** Nodes whose heartbeats reach the ECS only through a relay: id to relay. */
    private final Map<String, String> relayedBy = new HashMap<>();
    /** What each node's gossip finds dead, sent with its heartbeats. */
    private final Map<String, List<String>> gossipDead = new HashMap<>();
    private long seq;

    private HeartbeatReply beat(String id) {
        FakeNodes.Node node = nodes.node(id);
        return coordinator.heartbeat(new Heartbeat(id, node.incarnation, node.epoch, ++seq,
                gossipDead.getOrDefault(id, List.of()), relayedBy.get(id)));
    }

    /** One detector round after every node that is not silent heartbeats. */
    private void round() {
        for (ClusterView.NodeView node : coordinator.cluster().nodes()) {
            if (!silent.contains(node.id()) && nodes.node(node.id()).running) {
                beat(node.id());
            }
        }
        coordinator.failureRound();
    }

    private ClusterView.NodeView view(String id) {
        return coordinator.cluster().nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
    }

    /** Rounds every ROUND of the clock until {@code done}, or fails after {@code limit}. */
    private void roundsUntil(Duration limit, BooleanSupplier done) {
        Instant end = now.plus(limit);
        while (!done.getAsBoolean()) {
            assertThat(now).as("not done within %s", limit).isBefore(end);
            now = now.plus(ROUND);
            round();
        }
    }

    private void rounds(Duration duration) {
        Instant end = now.plus(duration);
        while (now.isBefore(end)) {
            now = now.plus(ROUND);
            round();
        }
    }

    private Optional<OperationView> lastFailover() {
        return coordinator.operations().stream().filter(o -> o.kind() == OperationKind.FAILOVER)
                .reduce((a, b) -> b);
    }

    private NodeStatus status(String id) {
        return coordinator.cluster().nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow()
                .status();
    }

    private List<String> members() {
        return coordinator.ring().members().stream().map(Member::id).toList();
    }

    /** The node stops (no heartbeat, no answer); returns when it heartbeat last. */
    private Instant kill(String id) {
        round();
        silent.add(id);
        nodes.node(id).running = false;
        return now;
    }

    @Test
    void aSilentMemberIsDeclaredFailedOneTimeoutAfterItsLastHeartbeatAndARingWithoutItIsPublished() {
        nodes.nodes.values().forEach(n -> n.keysToRepair = 5);
        rounds(Duration.ofSeconds(10));
        assertThat(lastFailover()).as("every node heartbeats: nothing happens").isEmpty();

        Instant lastBeat = kill("node-2");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        Duration detection = Duration.between(lastBeat, now);
        assertThat(detection).isBetween(FAILURE_TIMEOUT, FAILURE_TIMEOUT.plus(ROUND));

        assertThat(coordinator.ring().epoch()).isEqualTo(2);
        assertThat(members()).containsExactly("node-1", "node-3");
        assertThat(status("node-2")).isEqualTo(NodeStatus.FAILED);
        OperationView op = lastFailover().orElseThrow();
        assertThat(op.nodeIds()).containsExactly("node-2");
        assertThat(op.detections()).singleElement().satisfies(d -> {
            assertThat(d.node()).isEqualTo("node-2");
            assertThat(d.cause()).isEqualTo(Cause.FAILED);
            assertThat(d.lastHeartbeatAt()).isEqualTo(lastBeat);
            assertThat(d.detectionMs()).isEqualTo(detection.toMillis());
            assertThat(d.epoch()).isEqualTo(2);
        });
        assertThat(detected).containsExactly(Cause.FAILED);
        assertThat(coordinator.liveMembers()).isEqualTo(2);

        runQueued();
        op = coordinator.operation(op.id()).orElseThrow();
        assertThat(op.state()).as(op.toString()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(op.detections().getFirst().publishedAt()).isNotNull();
        assertThat(op.keysMoved()).as("repaired keys of both live nodes").isEqualTo(10);
        assertThat(op.percent()).isEqualTo(100);
        assertThat(nodes.calls).contains("putRing@2 node-1", "putRing@2 node-3", "startRepair@2 node-1",
                "startRepair@2 node-3").doesNotContain("startRepair@2 node-2");
        assertThat(launcher.relaunched).as("the ECS restarts no failed node").isEmpty();
        assertThat(new StateStore(dir).load().orElseThrow().currentRing()).isEqualTo(coordinator.ring());
    }

    @Test
    void aMemberAMajorityFindsDeadByGossipIsCutOffThoughItStillHeartbeats() {
        rounds(Duration.ofSeconds(2));
        // node-2 is cut off from its peers, not from the ECS: each side's gossip finds the other dead.
        gossipDead.put("node-1", List.of("node-2"));
        gossipDead.put("node-3", List.of("node-2"));
        gossipDead.put("node-2", List.of("node-1", "node-3"));
        round();
        Instant reportedAt = now;
        HeartbeatReply told = beat("node-2");
        assertThat(told.lease()).as("a verdict may be a lost refutation: it is told first").isTrue();
        assertThat(told.deadBy()).containsExactly("node-1", "node-3");
        assertThat(beat("node-1").deadBy()).as("node-2 alone cuts nobody off").isEmpty();
        assertThat(view("node-2").deadBy()).containsExactly("node-1", "node-3");
        assertThat(view("node-1").deadBy()).containsExactly("node-2");

        rounds(FAILURE_TIMEOUT);
        HeartbeatReply refused = beat("node-2");
        assertThat(refused.lease()).isFalse();
        assertThat(refused.reason()).contains("2 of the 3 ring members", "cut off from its peers");

        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        // The verdict lasted a failure timeout, then its heartbeats went uncounted for another.
        assertThat(Duration.between(reportedAt, now)).isBetween(FAILURE_TIMEOUT.multipliedBy(2).minus(ROUND),
                FAILURE_TIMEOUT.multipliedBy(2).plus(ROUND));
        assertThat(members()).containsExactly("node-1", "node-3");
        assertThat(status("node-2")).isEqualTo(NodeStatus.FAILED);
        assertThat(lastFailover().orElseThrow().detections()).singleElement()
                .satisfies(d -> assertThat(d.cause()).isEqualTo(Cause.CUT_OFF));
        assertThat(detected).containsExactly(Cause.CUT_OFF);

        runQueued();
        // Healed: the others find it alive again, and it is re-admitted as any failed node that heartbeats.
        gossipDead.clear();
        rounds(Duration.ofSeconds(1));
        assertThat(coordinator.operations()).anyMatch(o -> o.kind() == OperationKind.ADMIT_NODE
                && o.nodeIds().contains("node-2"));
    }

    @Test
    void aVerdictThatEndsWithinTheFailureTimeoutCostsNothing() {
        rounds(Duration.ofSeconds(1));
        gossipDead.put("node-1", List.of("node-2"));
        gossipDead.put("node-3", List.of("node-2"));
        rounds(FAILURE_TIMEOUT.minus(ROUND.multipliedBy(2)));
        gossipDead.clear(); // node-2 refuted
        rounds(Duration.ofSeconds(10));
        assertThat(lastFailover()).isEmpty();
        assertThat(beat("node-2").lease()).isTrue();
    }

    @Test
    void aSilentMemberIsFailedNotCutOffEvenWhenGossipFindsItDeadToo() {
        rounds(Duration.ofSeconds(1));
        kill("node-2");
        gossipDead.put("node-1", List.of("node-2"));
        gossipDead.put("node-3", List.of("node-2"));
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        assertThat(lastFailover().orElseThrow().detections()).singleElement()
                .satisfies(d -> assertThat(d.cause()).isEqualTo(Cause.FAILED));
    }

    @Test
    void aHeartbeatRelayedByAPeerCountsButAReplayOrAnOlderOneDoesNot() {
        silent.add("node-2"); // its own link to the ECS is broken...
        rounds(Duration.ofSeconds(1));
        FakeNodes.Node node2 = nodes.node("node-2");
        HeartbeatReply relayed = coordinator.heartbeat(new Heartbeat("node-2", node2.incarnation, node2.epoch, 1_000,
                List.of(), "node-1"));
        assertThat(relayed.lease()).as(relayed.reason()).isTrue();
        assertThat(view("node-2").heartbeatVia()).isEqualTo("node-1");
        for (long stale : List.of(1_000L, 999L)) {
            assertThatThrownBy(() -> coordinator.heartbeat(new Heartbeat("node-2", node2.incarnation, node2.epoch,
                    stale, List.of(), "node-3")))
                    .isInstanceOfSatisfying(ClusterException.class,
                            e -> assertThat(e.kind()).isEqualTo(ClusterException.Kind.CONFLICT))
                    .hasMessageContaining("seen already");
        }
        // ...but through node-1 its heartbeats keep coming: no failover however long that lasts.
        silent.remove("node-2");
        relayedBy.put("node-2", "node-1");
        seq = 1_000;
        rounds(Duration.ofSeconds(10));
        assertThat(lastFailover()).isEmpty();
        assertThat(members()).contains("node-2");
        relayedBy.clear();
        beat("node-2");
        assertThat(view("node-2").heartbeatVia()).as("a direct heartbeat again").isNull();
    }

    @Test
    void withoutTheNodesRepairEndpointTheFailoverFailsClearlyWithItsRingPublished() {
        nodes.nodes.values().forEach(n -> n.repairRefuseWith = 404);
        kill("node-3");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        runQueued();
        OperationView op = lastFailover().orElseThrow();
        assertThat(op.state()).isEqualTo(OperationState.FAILED);
        assertThat(op.errors()).anyMatch(e -> e.contains("no repair endpoint (404") && e.contains("epoch 2 is published"));
        assertThat(op.detections().getFirst().publishedAt()).isNotNull();
        assertThat(members()).containsExactly("node-1", "node-2");
    }

    @Test
    void leasesGoOnlyToMembersThatRouteByTheCurrentRing() {
        HeartbeatReply reply = beat("node-1");
        assertThat(reply.lease()).isTrue();
        assertThat(reply.leaseMs()).isEqualTo(1500);
        assertThat(reply.epoch()).isEqualTo(1);
        assertThat(reply.status()).isEqualTo("UP");

        HeartbeatReply behind = coordinator.heartbeat(Heartbeat.of("node-1", nodes.node("node-1").incarnation, 0));
        assertThat(behind.lease()).isFalse();
        assertThat(behind.reason()).contains("routes by epoch 0");

        HeartbeatReply unknown = coordinator.heartbeat(Heartbeat.of("node-9", "x", 1));
        assertThat(unknown.status()).isEqualTo(HeartbeatReply.UNKNOWN);
        assertThat(unknown.lease()).isFalse();

        kill("node-2");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        nodes.node("node-2").running = true; // it was only paused, and resumes with its old ring
        HeartbeatReply failed = beat("node-2");
        assertThat(failed.lease()).isFalse();
        assertThat(failed.status()).isEqualTo("FAILED");
        assertThat(failed.epoch()).as("so that it pulls the ring without it").isEqualTo(2);
    }

    @Test
    void aMemberRestartedUnderANewIncarnationIsFencedByTheSameMembersUnderANewEpoch() {
        rounds(Duration.ofSeconds(1));
        assertThat(coordinator.cluster().nodes()).allMatch(n -> n.incarnation() != null);
        nodes.node("node-2").incarnation = "restarted";
        HeartbeatReply first = beat("node-2");
        assertThat(first.lease()).as("no lease before the fence").isFalse();

        coordinator.failureRound();
        assertThat(coordinator.ring().epoch()).isEqualTo(2);
        assertThat(members()).containsExactly("node-1", "node-2", "node-3");
        OperationView op = lastFailover().orElseThrow();
        assertThat(op.detections()).singleElement().satisfies(d -> {
            assertThat(d.cause()).isEqualTo(Cause.RESTARTED);
            assertThat(d.incarnation()).isEqualTo("restarted");
        });
        assertThat(detected).containsExactly(Cause.RESTARTED);
        assertThat(coordinator.cluster().nodes()).filteredOn(n -> n.id().equals("node-2")).singleElement()
                .satisfies(n -> assertThat(n.incarnation()).isEqualTo("restarted"));
        assertThat(beat("node-2").lease()).as("still routes by epoch 1").isFalse();
        runQueued(); // publishes epoch 2
        assertThat(beat("node-2").lease()).isTrue();
        rounds(Duration.ofSeconds(5));
        assertThat(coordinator.ring().epoch()).as("one fence per restart").isEqualTo(2);
    }

    @Test
    void aFailedNodeHeardFromAgainIsReadmittedByAnAddWithHandoff() {
        kill("node-2");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        runQueued();

        FakeNodes.Node back = nodes.node("node-2"); // restarted by hand: a new process and incarnation
        back.running = true;
        back.pid = 4242;
        back.incarnation = "back";
        silent.remove("node-2");
        roundsUntil(Duration.ofSeconds(2), () -> coordinator.cluster().operation() != null);
        OperationView admit = coordinator.operations().getLast();
        assertThat(admit.kind()).isEqualTo(OperationKind.ADMIT_NODE);
        assertThat(admit.nodeIds()).containsExactly("node-2");
        assertThat(finished(admit).state()).isEqualTo(OperationState.SUCCEEDED);

        assertThat(members()).containsExactly("node-1", "node-2", "node-3");
        assertThat(coordinator.ring().epoch()).isEqualTo(3);
        assertThat(status("node-2")).isEqualTo(NodeStatus.UP);
        assertThat(coordinator.cluster().nodes()).filteredOn(n -> n.id().equals("node-2")).singleElement()
                .satisfies(n -> assertThat(n.pid()).isEqualTo(4242L));
        assertThat(nodes.calls).contains("putRing@2 node-2", "startHandoff@3 node-1", "putRing@3 node-2");
        assertThat(beat("node-2").lease()).isTrue();
        rounds(Duration.ofSeconds(10));
        assertThat(coordinator.ring().epoch()).as("watched again, not failed again").isEqualTo(3);
    }

    @Test
    void aRingChangeUnderWayIsCancelledAndRolledBackSoThatTheFailoverNeverWaits() {
        nodes.nodes.values().forEach(n -> n.stuck = true); // the add's handoff would run into its 1 min timeout
        round();
        Instant lastBeat = now;
        silent.add("node-2"); // its heartbeats are lost, but it still answers the ECS's calls
        duringPause = this::round;
        OperationView add = coordinator.addNodes(1);
        runQueued();

        OperationView failedAdd = coordinator.operation(add.id()).orElseThrow();
        assertThat(failedAdd.state()).isEqualTo(OperationState.FAILED);
        assertThat(failedAdd.errors()).anyMatch(e -> e.contains("cancelled: node node-2 FAILED"));
        Instant addEnded = failedAdd.finishedAt();
        assertThat(Duration.between(lastBeat, addEnded)).isLessThan(FAILURE_TIMEOUT.plusSeconds(1));

        OperationView failover = lastFailover().orElseThrow();
        assertThat(failover.detections().getFirst().epoch()).as("past the add's epoch 2, never sharing it")
                .isEqualTo(3);
        assertThat(coordinator.ring().epoch()).isEqualTo(3);
        assertThat(coordinator.ring().replicationFactor()).as("the cluster's factor survives the failover").isEqualTo(3);
        assertThat(members()).containsExactly("node-1", "node-3");
        assertThat(coordinator.cluster().nodes()).extracting(ClusterView.NodeView::id)
                .containsExactly("node-1", "node-2", "node-3");
        assertThat(launcher.stopped).containsExactly("node-4");
        assertThat(nodes.node("node-1").handoff.state()).isEqualTo(HandoffState.IDLE);
        assertThat(failover.state()).isEqualTo(OperationState.SUCCEEDED);
    }

    @Test
    void twoMembersFailingTogetherLeaveInOneRing() {
        duringPause = () -> {};
        assertThat(finished(coordinator.scale(5)).state()).isEqualTo(OperationState.SUCCEEDED);
        long epoch = coordinator.ring().epoch();
        kill("node-2");
        silent.add("node-4");
        nodes.node("node-4").running = false;
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());

        assertThat(coordinator.ring().epoch()).isEqualTo(epoch + 1);
        assertThat(members()).containsExactly("node-1", "node-3", "node-5");
        assertThat(lastFailover().orElseThrow().detections()).extracting(Detection::node)
                .containsExactlyInAnyOrder("node-2", "node-4");
        runQueued();
        assertThat(lastFailover().orElseThrow().state()).isEqualTo(OperationState.SUCCEEDED);
    }

    @Test
    void aFailureDuringTheRepairOfAnotherJoinsTheSameOperation() {
        nodes.node("node-1").repairStuck = true;
        kill("node-2");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        duringPause = () -> {
            round();
            if (coordinator.ring().epoch() == 2 && Duration.between(lastFailover().orElseThrow().createdAt(), now)
                    .compareTo(Duration.ofSeconds(1)) > 0 && !silent.contains("node-3")) {
                silent.add("node-3");
            }
            if (coordinator.ring().epoch() == 3) {
                nodes.node("node-1").repairStuck = false;
            }
        };
        runQueued();

        OperationView op = lastFailover().orElseThrow();
        assertThat(coordinator.operations()).filteredOn(o -> o.kind() == OperationKind.FAILOVER).hasSize(1);
        assertThat(op.state()).as(op.toString()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(op.detections()).extracting(Detection::node, Detection::epoch)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("node-2", 2L),
                        org.assertj.core.groups.Tuple.tuple("node-3", 3L));
        assertThat(members()).containsExactly("node-1");
        assertThat(nodes.calls).contains("startRepair@3 node-1");
    }

    @Test
    void whenEveryMemberIsSilentTheRingIsKept() {
        round();
        silent.addAll(List.of("node-1", "node-2", "node-3"));
        rounds(Duration.ofSeconds(10));
        assertThat(lastFailover()).isEmpty();
        assertThat(members()).hasSize(3);
        silent.clear();
        round();
        assertThat(beat("node-1").lease()).isTrue();
    }

    @Test
    void anEcsRestartKeepsFailedNodesAsTheyAreAndRelaunchesNone() {
        kill("node-2");
        roundsUntil(Duration.ofSeconds(5), () -> lastFailover().isPresent());
        runQueued();

        coordinator = newCoordinator();
        coordinator.start(ECS);
        runQueued();
        assertThat(status("node-2")).isEqualTo(NodeStatus.FAILED);
        assertThat(members()).containsExactly("node-1", "node-3");
        assertThat(launcher.relaunched).isEmpty();
        assertThat(launcher.stopped).isEmpty();
    }
}
