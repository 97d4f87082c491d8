package io.ringkv.ecs;

import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything the ECS persists: the authoritative ring, every node it knows (members and nodes
 * joining or leaving), the counters that name new nodes and operations, and the latest
 * operations. Immutable; each change makes a new state, which the {@link StateStore} writes
 * before anyone acts on it.
 *
 * @param format version of this layout in {@code cluster.json}; bump it when a field changes meaning
 * @param nextNodeNumber the local launcher names its next node {@code node-<nextNodeNumber>}
 * @param operations the latest operations, oldest first, at most {@link #OPERATIONS_KEPT}
 */
public record ClusterState(int format, RingView ring, List<NodeRecord> nodes, int nextNodeNumber,
        int nextOperationNumber, List<OperationView> operations) {
    public static final int FORMAT = 1;
    /** Finished operations kept for GET /operations/{id}; older ones are forgotten. */
    public static final int OPERATIONS_KEPT = 50;

    public ClusterState {
        nodes = List.copyOf(nodes);
        operations = List.copyOf(operations);
    }

    /** A cluster that has never had a node: an empty ring at epoch 0. */
    public static ClusterState empty(int vnodes, int replicationFactor) {
        return new ClusterState(FORMAT, RingView.of(Ring.of(0, vnodes, replicationFactor, List.of())), List.of(), 1, 1,
                List.of());
    }

    public Ring currentRing() {
        return ring.toRing();
    }

    public Optional<NodeRecord> node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
    }

    public Optional<OperationView> operation(String id) {
        return operations.stream().filter(o -> o.id().equals(id)).findFirst();
    }

    public ClusterState withRing(Ring next) {
        return new ClusterState(format, RingView.of(next), nodes, nextNodeNumber, nextOperationNumber, operations);
    }

    /** Adds the node or replaces the one with its id. */
    public ClusterState withNode(NodeRecord node) {
        List<NodeRecord> next = new ArrayList<>(nodes);
        next.removeIf(n -> n.id().equals(node.id()));
        next.add(node);
        return new ClusterState(format, ring, next, nextNodeNumber, nextOperationNumber, operations);
    }

    public ClusterState withoutNode(String id) {
        List<NodeRecord> next = new ArrayList<>(nodes);
        next.removeIf(n -> n.id().equals(id));
        return new ClusterState(format, ring, next, nextNodeNumber, nextOperationNumber, operations);
    }

    public ClusterState withNextNodeNumber(int next) {
        return new ClusterState(format, ring, nodes, next, nextOperationNumber, operations);
    }

    public ClusterState withNextOperationNumber(int next) {
        return new ClusterState(format, ring, nodes, nextNodeNumber, next, operations);
    }

    /** Adds the operation or replaces the one with its id; drops the oldest beyond the bound. */
    public ClusterState withOperation(OperationView operation) {
        List<OperationView> next = new ArrayList<>(operations);
        int at = -1;
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).id().equals(operation.id())) {
                at = i;
            }
        }
        if (at >= 0) {
            next.set(at, operation);
        } else {
            next.add(operation);
        }
        while (next.size() > OPERATIONS_KEPT) {
            next.removeFirst();
        }
        return new ClusterState(format, ring, nodes, nextNodeNumber, nextOperationNumber, next);
    }
}
