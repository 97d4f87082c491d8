package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.ecs.NodeClient.HandoffState;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator's ring changes and recovery, on the {@link CoordinatorHarness}. */
class CoordinatorTest extends CoordinatorHarness {

    @Test
    void aBootWhoseNodesNeverBecomeReadyIsRetriedLaterWithBackOff(@TempDir Path other) {
        FakeNodes freshNodes = new FakeNodes();
        FakeLauncher failing = new FakeLauncher(freshNodes);
        failing.broken = "node-1";
        Coordinator c = newCoordinator(other, freshNodes, failing);
        Instant started = now;
        c.start(ECS);
        runQueued();
        assertThat(c.operations()).singleElement().extracting(OperationView::state).isEqualTo(OperationState.FAILED);
        assertThat(c.cluster().nodes()).isEmpty();

        failing.broken = null; // whatever broke the launch is fixed
        c.tick();
        runQueued();
        assertThat(c.operations()).as("not before the back-off has passed").hasSize(1);

        now = started.plus(Coordinator.BOOT_RETRY_FIRST).plusSeconds(1);
        c.tick();
        runQueued();
        assertThat(c.operations()).hasSize(2);
        assertThat(c.operations()).last().extracting(OperationView::state).isEqualTo(OperationState.SUCCEEDED);
        assertThat(c.cluster().nodes()).hasSize(3).allMatch(n -> n.status() == NodeStatus.UP);
    }

    @Test
    void bootLaunchesTheInitialNodesAndPublishesEpochOne() {
        ClusterView cluster = coordinator.cluster();
        assertThat(cluster.epoch()).isEqualTo(1);
        assertThat(cluster.nodes()).extracting(ClusterView.NodeView::id).containsExactly("node-1", "node-2", "node-3");
        assertThat(cluster.nodes()).allMatch(n -> n.status() == NodeStatus.UP && n.pid() != null);
        assertThat(nodes.nodes.values()).allMatch(n -> n.epoch == 1);
        assertThat(coordinator.operations()).singleElement().extracting(OperationView::state)
                .isEqualTo(OperationState.SUCCEEDED);
        assertThat(new StateStore(dir).load().orElseThrow().currentRing()).isEqualTo(coordinator.ring());
    }

    @Test
    void addingANodeHandsOffFromTheLosersThenPublishesGainersFirst() {
        nodes.nodes.values().forEach(n -> n.keysToSend = 7);
        Ring before = coordinator.ring();
        OperationView op = finished(coordinator.addNodes(1));

        assertThat(op.state()).isEqualTo(OperationState.SUCCEEDED);
        Ring after = coordinator.ring();
        assertThat(after.epoch()).isEqualTo(2);
        assertThat(after.members()).extracting(Member::id).contains("node-4");
        RingChange plan = RingChange.adding(before, after.member("node-4").stream().toList());
        assertThat(op.keysMoved()).isEqualTo(7L * plan.sources().size());
        // The newcomer learns the old ring before anyone hands off, and the new ring before the losers.
        assertThat(nodes.calls).containsSubsequence("putRing@1 node-4", "startHandoff@2 "
                + plan.sources().getFirst().id(), "putRing@2 node-4", "putRing@2 " + plan.sources().getFirst().id());
        assertThat(nodes.nodes.values()).allMatch(n -> n.epoch == 2 && n.handoff.state() == HandoffState.IDLE);
    }

    @Test
    void aSecondOperationWhileOneIsQueuedIsAConflict() {
        OperationView first = coordinator.addNodes(1);
        assertThatThrownBy(() -> coordinator.rebalance())
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining(first.id())
                .extracting(e -> ((ClusterException) e).kind()).isEqualTo(ClusterException.Kind.CONFLICT);
        assertThat(finished(first).state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(finished(coordinator.rebalance()).state()).isEqualTo(OperationState.SUCCEEDED);
    }

    @Test
    void aFailedHandoffIsAbortedEverywhereAndTheNewNodeIsStopped() {
        nodes.node("node-2").failHandoff = true;
        Ring before = coordinator.ring();
        OperationView op = finished(coordinator.addNodes(1));

        assertThat(op.state()).isEqualTo(OperationState.FAILED);
        assertThat(String.join("\n", op.errors())).contains("FAILED: disk full");
        assertThat(coordinator.ring()).isEqualTo(before);
        assertThat(coordinator.cluster().nodes()).extracting(ClusterView.NodeView::id).doesNotContain("node-4");
        assertThat(launcher.stopped).containsExactly("node-4");
        assertThat(nodes.calls).contains("abortHandoff node-1", "abortHandoff node-2", "abortHandoff node-3");
        assertThat(new StateStore(dir).load().orElseThrow().currentRing()).isEqualTo(before);
    }

    @Test
    void aNodeWithoutTheHandoffEndpointFailsTheStepWithAClearError() {
        nodes.nodes.values().forEach(n -> n.refuseWith = 404);
        OperationView op = finished(coordinator.addNodes(1));
        assertThat(op.state()).isEqualTo(OperationState.FAILED);
        assertThat(op.errors()).anyMatch(e -> e.contains("404"));
        assertThat(coordinator.ring().epoch()).isEqualTo(1);
    }

    @Test
    void aHandoffThatNeverGetsReadyTimesOutAndIsRolledBack() {
        nodes.nodes.values().forEach(n -> n.stuck = true);
        Instant started = now;
        OperationView op = finished(coordinator.addNodes(1));
        assertThat(op.state()).isEqualTo(OperationState.FAILED);
        assertThat(op.errors()).anyMatch(e -> e.contains("not READY within PT1M"));
        assertThat(Duration.between(started, now)).isBetween(Duration.ofMinutes(1), Duration.ofMinutes(2));
        assertThat(coordinator.ring().epoch()).isEqualTo(1);
        assertThat(nodes.nodes.values()).allMatch(n -> n.handoff.state() == HandoffState.IDLE);
    }

    @Test
    void removingANodeMovesItsDataThenShutsItDown() {
        OperationView op = finished(coordinator.removeNode("node-2"));
        assertThat(op.state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(coordinator.ring().members()).extracting(Member::id).containsExactly("node-1", "node-3");
        assertThat(coordinator.cluster().nodes()).extracting(ClusterView.NodeView::id)
                .containsExactly("node-1", "node-3");
        assertThat(nodes.calls).containsSubsequence("startHandoff@2 node-2", "putRing@2 node-1", "putRing@2 node-2",
                "shutdown node-2");
        assertThat(launcher.stopped).containsExactly("node-2");
    }

    @Test
    void badRequestsChangeNothing() {
        assertThatThrownBy(() -> coordinator.removeNode("node-9")).extracting(e -> ((ClusterException) e).kind())
                .isEqualTo(ClusterException.Kind.NOT_FOUND);
        assertThatThrownBy(() -> coordinator.addNodes(0)).extracting(e -> ((ClusterException) e).kind())
                .isEqualTo(ClusterException.Kind.BAD_REQUEST);
        assertThatThrownBy(() -> coordinator.addNodes(10_000)).extracting(e -> ((ClusterException) e).kind())
                .isEqualTo(ClusterException.Kind.BAD_REQUEST);
        assertThatThrownBy(() -> coordinator.scale(0)).extracting(e -> ((ClusterException) e).kind())
                .isEqualTo(ClusterException.Kind.BAD_REQUEST);
        finished(coordinator.scale(1));
        assertThatThrownBy(() -> coordinator.removeNode("node-1")).extracting(e -> ((ClusterException) e).kind())
                .isEqualTo(ClusterException.Kind.CONFLICT);
        assertThat(coordinator.ring().members()).extracting(Member::id).containsExactly("node-1");
    }

    @Test
    void scaleAddsOrRemovesToReachTheSize() {
        assertThat(finished(coordinator.scale(5)).state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(coordinator.ring().members()).hasSize(5);
        assertThat(coordinator.ring().epoch()).isEqualTo(2);
        assertThat(finished(coordinator.scale(2)).state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(coordinator.ring().members()).extracting(Member::id).containsExactly("node-1", "node-2");
    }

    @Test
    void rebalanceWithNothingToMoveOnlyBumpsTheEpoch() {
        OperationView op = finished(coordinator.rebalance());
        assertThat(op.state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(op.keysMoved()).isZero();
        assertThat(coordinator.ring().epoch()).isEqualTo(2);
        assertThat(coordinator.ring().members()).hasSize(3);
    }

    @Test
    void aStaticNodeThatRegistersIsAdmittedAndAKnownOneIsNot() {
        nodes.node("hand-1");
        var op = coordinator.register("hand-1", "127.0.0.1", 51000, 51001).orElseThrow();
        assertThat(finished(op).state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(coordinator.ring().member("hand-1")).isPresent();
        assertThat(coordinator.register("node-1", "127.0.0.1", 1, 2)).isEmpty();
    }

    @Test
    void recoveryReadoptsRunningNodesAndRelaunchesStoppedOnes() {
        long pid1 = nodes.node("node-1").pid;
        nodes.node("node-3").running = false;
        coordinator = newCoordinator();
        coordinator.start(ECS);
        runQueued();

        ClusterView cluster = coordinator.cluster();
        assertThat(cluster.nodes()).allMatch(n -> n.status() == NodeStatus.UP);
        assertThat(cluster.nodes().getFirst().pid()).isEqualTo(pid1);
        assertThat(launcher.relaunched).containsExactly("node-3");
        assertThat(coordinator.operations().getLast().kind()).isEqualTo(OperationKind.RECOVER);
    }

    @Test
    void anUncommittedChangeIsRolledBackAfterARestart() {
        // The ECS dies after the handoff started: the state says RUNNING towards epoch 2, the ring is at 1.
        OperationView op = coordinator.addNodes(1);
        ClusterState persisted = new StateStore(dir).load().orElseThrow();
        new StateStore(dir).save(persisted.withOperation(persisted.operation(op.id()).orElseThrow()
                .running(now).withToEpoch(2)));
        queued.clear();

        coordinator = newCoordinator();
        coordinator.start(ECS);
        runQueued();

        OperationView settled = coordinator.operation(op.id()).orElseThrow();
        assertThat(settled.state()).isEqualTo(OperationState.FAILED);
        assertThat(settled.step()).startsWith("rolled back");
        assertThat(coordinator.ring().epoch()).isEqualTo(1);
        assertThat(nodes.calls).contains("abortHandoff node-1");
    }

    @Test
    void aCommittedChangeIsFinishedAfterARestart() {
        OperationView op = finished(coordinator.addNodes(1));
        ClusterState persisted = new StateStore(dir).load().orElseThrow();
        OperationView interrupted = new OperationView(op.id(), op.kind(), OperationState.RUNNING, "publishing",
                op.nodeIds(), 1, 1, 2, 0, 0, 0, java.util.List.of(), now, now, null, java.util.List.of());
        new StateStore(dir).save(persisted.withOperation(interrupted));
        nodes.node("node-4").epoch = 1; // it never heard of epoch 2

        coordinator = newCoordinator();
        coordinator.start(ECS);
        runQueued();

        assertThat(coordinator.operation(op.id()).orElseThrow().state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(nodes.node("node-4").epoch).isEqualTo(2);
    }

    @Test
    void theTickPushesTheRingToNodesThatMissedItAndMarksSilentOnesDown() {
        nodes.node("node-2").running = false;
        coordinator.tick();
        assertThat(coordinator.cluster().nodes()).filteredOn(n -> n.id().equals("node-2"))
                .singleElement().extracting(ClusterView.NodeView::status).isEqualTo(NodeStatus.DOWN);
        nodes.node("node-2").running = true;
        nodes.node("node-2").epoch = 0;
        coordinator.register("node-2", "127.0.0.1", 1, 2);
        coordinator.tick();
        assertThat(nodes.node("node-2").epoch).isEqualTo(1);
        assertThat(coordinator.cluster().nodes()).allMatch(n -> n.status() == NodeStatus.UP);
    }
}
