package io.ringkv.ecs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An immutable snapshot of one operation: what the REST API answers and what {@code cluster.json}
 * keeps. The worker replaces the snapshot as the operation advances.
 *
 * @param nodeIds the nodes the operation adds or removes, as far as they are known yet
 * @param requested the count or cluster size asked for (0 when the kind takes none)
 * @param fromEpoch ring epoch when the operation started
 * @param toEpoch the epoch the ring change under way will publish; equal to the persisted ring's
 *     epoch once that change is committed (how recovery tells "finish" from "roll back")
 * @param percent progress of the ring change under way: the share of the handoff's ranges already
 *     streamed (0..99 while running), 100 once the operation SUCCEEDED
 * @param errors what went wrong, oldest first, at most {@link #ERRORS_MAX}
 * @param detections for a FAILOVER, the members it acted on, in the order they were detected (at
 *     most {@link #DETECTIONS_MAX}); empty for every other kind
 */
public record OperationView(String id, OperationKind kind, OperationState state, String step,
        List<String> nodeIds, int requested, long fromEpoch, long toEpoch, long keysMoved, long bytesMoved,
        int percent, List<String> errors, Instant createdAt, Instant startedAt, Instant finishedAt,
        List<Detection> detections) {
    /** Errors kept per operation: enough to diagnose, bounded so a flapping node cannot grow the state. */
    public static final int ERRORS_MAX = 20;

    /** Detections kept per operation: a cluster has at most ringkv.ecs.nodes-max members to lose. */
    public static final int DETECTIONS_MAX = 1024;

    public OperationView {
        nodeIds = List.copyOf(nodeIds);
        errors = List.copyOf(errors);
        // Absent from a cluster.json written before failover existed.
        detections = detections == null ? List.of() : List.copyOf(detections);
    }

    public static OperationView queued(String id, OperationKind kind, List<String> nodeIds, int requested,
            long epoch, Instant now) {
        return new OperationView(id, kind, OperationState.QUEUED, "queued", nodeIds, requested, epoch, epoch,
                0, 0, 0, List.of(), now, null, null, List.of());
    }

    public OperationView running(Instant now) {
        return new OperationView(id, kind, OperationState.RUNNING, "started", nodeIds, requested, fromEpoch,
                toEpoch, keysMoved, bytesMoved, percent, errors, createdAt, now, null, detections);
    }

    public OperationView withStep(String next) {
        return new OperationView(id, kind, state, next, nodeIds, requested, fromEpoch, toEpoch, keysMoved,
                bytesMoved, percent, errors, createdAt, startedAt, finishedAt, detections);
    }

    public OperationView withNodeIds(List<String> next) {
        return new OperationView(id, kind, state, step, next, requested, fromEpoch, toEpoch, keysMoved,
                bytesMoved, percent, errors, createdAt, startedAt, finishedAt, detections);
    }

    public OperationView withToEpoch(long next) {
        return new OperationView(id, kind, state, step, nodeIds, requested, fromEpoch, next, keysMoved,
                bytesMoved, percent, errors, createdAt, startedAt, finishedAt, detections);
    }

    /** Progress of the handoff under way, added to what earlier ring changes of this operation moved. */
    public OperationView withMoved(long keys, long bytes, int progressPercent) {
        return new OperationView(id, kind, state, step, nodeIds, requested, fromEpoch, toEpoch, keys, bytes,
                Math.clamp(progressPercent, 0, 99), errors, createdAt, startedAt, finishedAt, detections);
    }

    public OperationView withError(String error) {
        List<String> next = new ArrayList<>(errors);
        if (next.size() < ERRORS_MAX) {
            next.add(error);
        }
        return new OperationView(id, kind, state, step, nodeIds, requested, fromEpoch, toEpoch, keysMoved,
                bytesMoved, percent, next, createdAt, startedAt, finishedAt, detections);
    }

    public OperationView finished(OperationState result, String lastStep, Instant now) {
        if (!result.finished()) {
            throw new IllegalArgumentException("not a final state: " + result);
        }
        return new OperationView(id, kind, result, lastStep, nodeIds, requested, fromEpoch, toEpoch, keysMoved,
                bytesMoved, result == OperationState.SUCCEEDED ? 100 : percent, errors, createdAt,
                startedAt == null ? now : startedAt, now, detections);
    }

    /** Replaces the detection of the same node and epoch, or adds it. */
    public OperationView withDetection(Detection detection) {
        List<Detection> next = new ArrayList<>(detections);
        int at = -1;
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).node().equals(detection.node()) && next.get(i).epoch() == detection.epoch()) {
                at = i;
            }
        }
        if (at >= 0) {
            next.set(at, detection);
        } else if (next.size() < DETECTIONS_MAX) {
            next.add(detection);
        }
        return new OperationView(id, kind, state, step, nodeIds, requested, fromEpoch, toEpoch, keysMoved,
                bytesMoved, percent, errors, createdAt, startedAt, finishedAt, next);
    }
}
