package io.ringkv.ecs;

import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Nodes in memory, answering the ECS as the node side's contract says. Fault model: a node can be
 * made to refuse every call with a given status (404 like a node without the endpoint, 0 like a
 * node that does not answer), to report its handoff FAILED, or to lack the repair endpoint. A
 * repair reports RUNNING once, then DONE. Every call is logged for assertions. Not thread-safe: the
 * tests run the coordinator on their own thread.
 */
final class FakeNodes implements NodeClient {
    static final class Node {
        long pid;
        long epoch = -1;
        HandoffStatus handoff = new HandoffStatus(HandoffState.IDLE, 0, 0, 0, null);
        boolean running = true;
        int refuseWith = -1;
        boolean failHandoff;
        /** The handoff starts but never gets READY. */
        boolean stuck;
        long keysToSend;
        /** What its heartbeats call its process; the fake launcher gives each start a new one. */
        String incarnation;
        /** The status a repair request answers with (-1: the repair endpoint exists, 404: it does not). */
        int repairRefuseWith = -1;
        RepairStatus repair = new RepairStatus(0, RepairState.DONE, 0, 0, 0, 0, null);
        /** Keys a repair copies here; it is DONE at the first poll after it started, unless stuck. */
        long keysToRepair;
        boolean repairStuck;
    }

    final Map<String, Node> nodes = new HashMap<>();
    final List<String> calls = new ArrayList<>();

    Node node(String id) {
        return nodes.computeIfAbsent(id, k -> new Node());
    }

    private Node reach(Member member, String call) {
        calls.add(call + " " + member.id());
        Node node = nodes.get(member.id());
        if (node == null || !node.running) {
            throw new NodeCallException("node " + member.id() + " did not answer " + call, 0, null);
        }
        if (node.refuseWith >= 0) {
            throw new NodeCallException("node " + member.id() + " answered " + call + " with " + node.refuseWith,
                    node.refuseWith, null);
        }
        return node;
    }

    @Override
    public NodeInfo info(Member member) {
        return new NodeInfo(member.id(), reach(member, "info").pid);
    }

    @Override
    public boolean ready(Member member) {
        Node node = nodes.get(member.id());
        return node != null && node.running;
    }

    @Override
    public void putRing(Member member, RingView ring) {
        Node node = reach(member, "putRing@" + ring.epoch());
        if (node.epoch > ring.epoch()) {
            throw new NodeCallException("newer epoch", 409, null);
        }
        node.epoch = ring.epoch();
        if (node.handoff.targetEpoch() == ring.epoch()) {
            node.handoff = new HandoffStatus(HandoffState.IDLE, 0, 0, 0, null);
        }
    }

    @Override
    public void startHandoff(Member member, RingView target) {
        Node node = reach(member, "startHandoff@" + target.epoch());
        node.handoff = node.stuck
                ? new HandoffStatus(HandoffState.STREAMING, target.epoch(), 1, 10, null)
                : node.failHandoff
                ? new HandoffStatus(HandoffState.FAILED, target.epoch(), 0, 0, "disk full")
                : new HandoffStatus(HandoffState.READY, target.epoch(), node.keysToSend, node.keysToSend * 10, null);
    }

    @Override
    public HandoffStatus handoff(Member member) {
        return reach(member, "handoff").handoff;
    }

    @Override
    public void abortHandoff(Member member) {
        reach(member, "abortHandoff").handoff = new HandoffStatus(HandoffState.IDLE, 0, 0, 0, null);
    }

    @Override
    public void startRepair(Member member, long epoch) {
        Node node = reach(member, "startRepair@" + epoch);
        if (node.repairRefuseWith >= 0) {
            throw new NodeCallException("node " + member.id() + " answered POST repair with " + node.repairRefuseWith,
                    node.repairRefuseWith, null);
        }
        node.repair = new RepairStatus(epoch, RepairState.RUNNING, 4, 0, 0, 0, null);
    }

    @Override
    public RepairStatus repair(Member member) {
        Node node = reach(member, "repair");
        if (node.repairRefuseWith >= 0) {
            throw new NodeCallException("node " + member.id() + " answered GET repair with " + node.repairRefuseWith,
                    node.repairRefuseWith, null);
        }
        RepairStatus started = node.repair;
        if (started.state() == RepairState.RUNNING && !node.repairStuck) {
            node.repair = new RepairStatus(started.epoch(), RepairState.DONE, 4, 4, node.keysToRepair,
                    node.keysToRepair * 10, null);
        }
        return started;
    }

    @Override
    public void shutdown(Member member) {
        reach(member, "shutdown").running = false;
    }
}
