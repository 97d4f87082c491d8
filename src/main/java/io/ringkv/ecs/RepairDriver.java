package io.ringkv.ecs;

import io.ringkv.ecs.NodeClient.RepairState;
import io.ringkv.ecs.NodeClient.RepairStatus;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Drives the repair half of a failover: every member of the failover ring is asked to repair
 * towards its epoch (each range the ring gives it gets its replicas back; what that takes is the
 * node's business) and polled until all report DONE for that epoch or a later one. Progress (ranges,
 * keys, bytes) goes to the operation. Blocking; called from the failover thread only.
 *
 * <p>A node that does not answer is polled again (it may be busy, or dead and about to be declared
 * failed, which ends this repair through {@code superseded}); a node that answers 404 has no repair
 * endpoint, which fails the repair at once: the ring is published, but nothing re-replicated it.
 */
final class RepairDriver {
    private final NodeClient nodes;
    private final InstantSource clock;
    private final Pacer pacer;
    private final Duration timeout;
    private final Duration poll;

    RepairDriver(NodeClient nodes, InstantSource clock, Pacer pacer, Duration timeout, Duration poll) {
        this.nodes = nodes;
        this.clock = clock;
        this.pacer = pacer;
        this.timeout = timeout;
        this.poll = poll;
    }

    /**
     * Repairs towards {@code ring}. Returns true once every member reports DONE for its epoch or a
     * later one; false as soon as {@code superseded} says a newer ring replaced it (the caller then
     * repairs towards that one). Throws {@link OperationFailure} when a node reports FAILED, has no
     * repair endpoint, or the repair outlasts the timeout.
     */
    boolean repair(OperationRun run, Ring ring, BooleanSupplier superseded) throws InterruptedException {
        long epoch = ring.epoch();
        Instant deadline = clock.instant().plus(timeout);
        Map<String, RepairStatus> last = new HashMap<>();
        List<Member> unstarted = new ArrayList<>(ring.members());
        Set<String> silent = new HashSet<>();
        run.step("repairing towards epoch " + epoch + " on " + ids(ring.members()));
        while (true) {
            if (superseded.getAsBoolean()) {
                return false;
            }
            unstarted.removeIf(member -> start(run, member, epoch, silent));
            for (Member member : ring.members()) {
                if (!unstarted.contains(member)) {
                    poll(run, member, epoch).ifPresent(status -> last.put(member.id(), status));
                }
            }
            List<String> waiting = new ArrayList<>();
            for (Member member : ring.members()) {
                RepairStatus status = last.get(member.id());
                if (status == null || status.epoch() < epoch || status.state() != RepairState.DONE) {
                    waiting.add(member.id() + (status == null ? " (no answer yet)"
                            : " (" + status.state() + " towards " + status.epoch() + ")"));
                }
            }
            report(run, ring, last);
            if (waiting.isEmpty()) {
                run.step("repair towards epoch " + epoch + " DONE on " + ids(ring.members()));
                return true;
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new OperationFailure("repair towards epoch " + epoch + " not DONE within " + timeout
                        + " (ringkv.ecs.handoff-timeout): " + String.join(", ", waiting));
            }
            run.step("repairing towards epoch " + epoch + ": waiting for " + String.join(", ", waiting));
            pacer.pause(poll);
        }
    }

    /**
     * True when the node took the request; false when it did not answer (asked again next poll, the
     * first silence of each node recorded in {@code silent}).
     */
    private boolean start(OperationRun run, Member member, long epoch, Set<String> silent) {
        try {
            nodes.startRepair(member, epoch);
            return true;
        } catch (NodeCallException e) {
            refuse(member, epoch, e);
            if (silent.add(member.id())) {
                run.error("repair: " + e.getMessage() + "; asked again");
            }
            return false;
        }
    }

    private Optional<RepairStatus> poll(OperationRun run, Member member, long epoch) {
        try {
            RepairStatus status = nodes.repair(member);
            if (status.state() == RepairState.FAILED && status.epoch() >= epoch) {
                throw new OperationFailure("node " + member.id() + " reports its repair towards epoch "
                        + status.epoch() + " FAILED: " + status.error());
            }
            return Optional.of(status);
        } catch (NodeCallException e) {
            refuse(member, epoch, e);
            return Optional.empty();
        }
    }

    /** A node that answers, but not as a repairing node should, fails the repair; silence does not. */
    private static void refuse(Member member, long epoch, NodeCallException e) {
        if (e.status() == 404) {
            throw new OperationFailure("node " + member.id() + " has no repair endpoint (404 on /api/v1/node/repair): "
                    + "the ring at epoch " + epoch + " is published, but its ranges were not re-replicated", e);
        }
        if (e.status() != 0) {
            throw new OperationFailure("repair towards epoch " + epoch + " refused: " + e.getMessage(), e);
        }
    }

    private static void report(OperationRun run, Ring ring, Map<String, RepairStatus> last) {
        long keys = 0;
        long bytes = 0;
        double done = 0;
        for (Member member : ring.members()) {
            RepairStatus status = last.get(member.id());
            if (status != null && status.epoch() >= ring.epoch()) {
                keys += status.keys();
                bytes += status.bytes();
                done += status.done();
            }
        }
        run.moved(keys, bytes, (int) (100 * done / Math.max(1, ring.members().size())));
    }

    private static String ids(List<Member> members) {
        return String.join(", ", members.stream().map(Member::id).toList());
    }
}
