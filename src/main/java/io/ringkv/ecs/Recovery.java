package io.ringkv.ecs;

import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.util.ArrayList;
import java.util.List;

/**
 * What the ECS does after a restart with a persisted state: finds its nodes again, settles the
 * operation the restart interrupted, and publishes the ring.
 *
 * <ul>
 *   <li>A member that answers at its REST port with its own id is re-adopted as it runs (same
 *       process, its pid taken from the node). A local member that does not answer is relaunched
 *       on its ports and data directory; a static one is marked DOWN until it registers again.
 *       Nodes declared FAILED are neither relaunched nor forgotten: the failure detector re-admits
 *       them when they heartbeat again.
 *   <li>The interrupted operation is finished if its ring change was committed (the persisted
 *       ring has the epoch it was publishing) and rolled back otherwise: every member's handoff is
 *       aborted, so nothing stays write-locked and the old ring stays in force. An interrupted
 *       FAILOVER ends FAILED: its ring was committed with it, its repair is not resumed.
 *   <li>Nodes outside the ring (joining under a rolled-back change, or leaving under a committed
 *       one) are shut down and forgotten.
 * </ul>
 */
final class Recovery {
    private final Coordinator coordinator;

    Recovery(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    void run(OperationRun run) {
        ClusterState state = coordinator.state();
        Ring ring = state.currentRing();
        NodeClient nodes = coordinator.nodes();
        Launcher launcher = coordinator.launcher();
        List<OperationView> interrupted = state.operations().stream()
                .filter(o -> !o.state().finished() && !o.id().equals(run.id()))
                .toList();

        run.step("re-adopting the nodes of the ring at epoch " + ring.epoch());
        List<NodeRecord> starting = new ArrayList<>();
        for (NodeRecord node : state.nodes()) {
            if (ring.member(node.id()).isEmpty()) {
                continue;
            }
            NodeRecord found = reachable(nodes, node);
            if (found != null) {
                launcher.adopt(found);
                coordinator.update(s -> s.withNode(found.withStatus(NodeStatus.UP)));
            } else if (node.local()) {
                NodeRecord restarted = launcher.isRunning(node) ? node : launcher.relaunch(node, coordinator.ecsUrl());
                launcher.adopt(restarted);
                coordinator.update(s -> s.withNode(restarted));
                starting.add(restarted);
            } else {
                coordinator.update(s -> s.withNode(node.withStatus(NodeStatus.DOWN)));
            }
        }
        for (NodeRecord node : starting) {
            try {
                coordinator.awaitReady(run, List.of(node));
                coordinator.update(s -> s.withNode(node.withStatus(NodeStatus.UP)));
            } catch (RuntimeException e) {
                run.error("node " + node.id() + " did not come back: " + e.getMessage());
                coordinator.update(s -> s.withNode(node.withStatus(NodeStatus.DOWN)));
            }
        }

        for (OperationView operation : interrupted) {
            settle(run, operation, ring);
        }
        for (NodeRecord node : coordinator.state().nodes()) {
            if (ring.member(node.id()).isEmpty() && node.status() != NodeStatus.FAILED) {
                retire(run, node);
            }
        }

        run.step("publishing the ring at epoch " + ring.epoch());
        for (Member member : ring.members()) {
            try {
                nodes.putRing(member, RingView.of(ring));
                coordinator.confirmed(member.id(), ring.epoch());
            } catch (NodeCallException e) {
                run.error("publish: " + e.getMessage() + "; retried in the background");
            }
        }
    }

    private void settle(OperationRun run, OperationView operation, Ring ring) {
        boolean committed = operation.toEpoch() > operation.fromEpoch() && ring.epoch() == operation.toEpoch();
        OperationView done;
        var now = coordinator.now();
        if (operation.kind() == OperationKind.FAILOVER) {
            // Its ring was committed with the operation itself; what the restart cut short is the repair.
            done = operation.withError("interrupted by an ECS restart during its repair; the ring at epoch "
                    + operation.toEpoch() + " stays and " + run.id() + " published it again, but the repair did not"
                    + " finish").finished(OperationState.FAILED, "interrupted by " + run.id(), now);
        } else if (committed) {
            OperationState result = operation.kind() == OperationKind.SCALE ? OperationState.FAILED
                    : OperationState.SUCCEEDED;
            done = operation.withError("interrupted by an ECS restart after the ring at epoch " + ring.epoch()
                    + " was committed; " + run.id() + " published it"
                    + (result == OperationState.FAILED ? "; repeat the scale request to finish it" : ""))
                    .finished(result, "finished by " + run.id(), now);
        } else {
            run.step("rolling back " + operation.id() + ": aborting handoffs");
            coordinator.driver().abort(run, ring.members());
            done = operation.withError("interrupted by an ECS restart before its ring change was committed; "
                    + run.id() + " rolled it back, the ring stays at epoch " + ring.epoch())
                    .finished(OperationState.FAILED, "rolled back by " + run.id(), now);
        }
        coordinator.resolveInterrupted(done);
    }

    /** Shuts down and forgets a node outside the ring. */
    private void retire(OperationRun run, NodeRecord node) {
        run.step("stopping node " + node.id() + ", which is not in the ring");
        try {
            coordinator.nodes().shutdown(node.member());
        } catch (NodeCallException e) {
            // Not running: nothing to stop but the record.
        }
        if (node.local()) {
            coordinator.launcher().awaitExitOrStop(node, coordinator.settings().shutdownGrace());
        }
        coordinator.update(s -> s.withoutNode(node.id()));
    }

    /** The node with the pid it reports, if it answers at its REST port with its own id; else null. */
    private static NodeRecord reachable(NodeClient nodes, NodeRecord node) {
        try {
            NodeClient.NodeInfo info = nodes.info(node.member());
            if (!info.id().equals(node.id())) {
                return null;
            }
            return node.local() && info.pid() > 0 ? node.withPid(info.pid()) : node;
        } catch (NodeCallException e) {
            return null;
        }
    }
}
