package io.ringkv.ecs;

import io.ringkv.ecs.Detection.Cause;
import io.ringkv.ecs.FailureDetector.Restart;
import io.ringkv.ecs.FailureDetector.Silent;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failure handling on the ECS (design §5): heartbeats in, leases out, and a {@link
 * OperationKind#FAILOVER} operation when a ring member falls silent or restarts.
 *
 * <ul>
 *   <li><b>Heartbeats.</b> Each one is recorded in the {@link FailureDetector}; the reply carries
 *       the ring epoch and grants a lease of failure-timeout / 2 only to a member of the current
 *       ring that routes by it, is not declared failed, and has no unfenced restart. A heartbeat
 *       relayed by another node (its own link to the ECS is broken) counts the same, once its
 *       signature and sequence number show it is the node's own and new.
 *   <li><b>Gossip.</b> Heartbeats carry the members their sender's gossip finds dead ({@link
 *       GossipReports}). A member more than half of the ring finds dead is told so in its replies
 *       (it refutes, if it is alive and only its refutation was lost); if that verdict lasts a
 *       failure timeout, it is cut off from its peers: its heartbeats are answered without a lease
 *       and not counted, so the round declares it (CUT_OFF) once the failure timeout has passed
 *       since the last one counted.
 *   <li><b>The round</b> ({@link #round}, every failure-timeout / 10, on its own thread, never
 *       calling a node): members silent for the timeout are declared FAILED and a ring without them
 *       is committed at once, as the next epoch after both the current ring and any ring change
 *       under way (two rings never share an epoch). A member heard under a new incarnation gets
 *       the same members under a new epoch. Either is recorded in one FAILOVER operation, which
 *       absorbs further failures while it runs. A FAILED node heard from again is re-admitted by an
 *       ADMIT_NODE operation, the normal add with handoff.
 *   <li><b>A ring change under way</b> does not delay a failover: the failover ring is committed
 *       whatever runs, and the change is cancelled. One not yet committed stops at its next wait and
 *       rolls back (its commit also refuses to replace a newer ring); one already committed finishes
 *       publishing what it committed, which the nodes refuse as older, and its node shutdowns.
 *   <li><b>The operation</b> runs on its own thread: it sends the failover ring to every live
 *       member, then drives their repair towards it ({@link RepairDriver}); a newer failover ring
 *       restarts that towards the newer epoch.
 * </ul>
 *
 * <p>No failover empties the ring: when every member is silent at once (more likely the ECS is cut
 * off than every node dead) the ring is kept. The ECS restarts no failed node itself.
 *
 * <p>Thread-safe. The fields that say which failover operation runs are guarded by the
 * coordinator's lock (taken through {@link Coordinator#locked}).
 */
final class Failover {
    private static final Logger log = LoggerFactory.getLogger(Failover.class);
    /** After a re-admission was started for a node, the next one waits at least this long. */
    static final Duration REJOIN_RETRY = Duration.ofSeconds(10);

    private final Coordinator coordinator;
    private final FailureDetector detector;
    private final RepairDriver repairs;
    private final NodeClient nodes;
    private final InstantSource clock;
    private final Executor runner;
    // Guarded by the coordinator's lock: the failover operation running, and the epoch it must reach.
    private String operation;
    private long targetEpoch;
    /** Earliest next re-admission per node; only the round thread uses it. */
    private final Map<String, Instant> rejoinNotBefore = new HashMap<>();
    /** Whether "every member is silent" was logged, so that it is logged once per episode. */
    private boolean allSilentLogged;
    private final GossipReports reports;
    /** Members a failover ring is pushed to, 0 for all; see {@link Coordinator.Settings#ringPushFanout}. */
    private final int pushFanout;
    private final HeartbeatRelays relays = new HeartbeatRelays();



    Failover(Coordinator coordinator, FailureDetector detector, RepairDriver repairs, NodeClient nodes,
            InstantSource clock, Executor runner, int pushFanout) {
        this.coordinator = coordinator;
        this.detector = detector;
        this.reports = new GossipReports(detector.timeout());
        this.pushFanout = pushFanout;
        this.repairs = repairs;
        this.nodes = nodes;
        this.clock = clock;
        this.runner = runner;
    }

    /** How often {@link #round} should run for a failure timeout: a tenth of it, 50 ms..500 ms. */
    static Duration roundInterval(Duration failureTimeout) {
        Duration tenth = failureTimeout.dividedBy(10);
        Duration min = Duration.ofMillis(50);
        Duration max = Duration.ofMillis(500);
        return tenth.compareTo(min) < 0 ? min : tenth.compareTo(max) > 0 ? max : tenth;
    }

    FailureDetector detector() {
        return detector;
    }

    /** The failover operation under way, or null. Call with the coordinator's lock held. */
    String operationLocked() {
        return operation;
    }

    // ------------------------------------------------------------------------------- heartbeats

    /**
     * What the ECS answers a node's heartbeat; see {@link Coordinator#heartbeat}.
     *
     * @throws ClusterException CONFLICT for a relayed heartbeat whose number was seen already
     */
    HeartbeatReply heartbeat(Heartbeat in) {
        String id = in.id();
        Instant now = clock.instant();
        long leaseMs = detector.lease().toMillis();
        Optional<NodeRecord> node = coordinator.state().node(id);
        if (node.isEmpty()) {
            return new HeartbeatReply(coordinator.state().ring().epoch(), leaseMs, false, HeartbeatReply.UNKNOWN,
                    "the ECS does not know node " + id + "; it must register");
        }
        if (in.via() != null) {
            String refusal = checkRelayed(in);
            if (refusal != null) {
                // Not an answer: the node has (or will have) one for this heartbeat from its other copy.
                throw new ClusterException(ClusterException.Kind.CONFLICT, refusal);
            }
        } else {
            relays.advance(in.id(), in.incarnation(), in.seq());
        }
        List<String> members = memberIds(coordinator.state());
        if (members.contains(id)) {
            reports.report(id, in.dead(), now);
        }
        // A false suspicion whose refutation was lost looks the same for a while: the node is told
        // (deadBy) and refutes; only a verdict that outlasts the failure timeout cuts it off.
        GossipReports.Verdict verdict = reports.judge(id, members, m -> detector.isLive(m, now), now);
        if (verdict.cutOff()) {
            // Not recorded: to the detector this node is silent from its last counted heartbeat on.
            return new HeartbeatReply(coordinator.state().ring().epoch(), leaseMs, false, node.get().status().name(),
                    verdict.deadBy().size() + " of the " + members.size() + " ring members (" + String.join(", ",
                            verdict.deadBy()) + ") have found this node dead by gossip for " + verdict.forMs()
                            + " ms: it is cut off from its peers", verdict.deadBy());
        }
        FailureDetector.Beat beat = detector.heartbeat(id, in.incarnation(), in.epoch(), node.get().incarnation(), now);
        relays.counted(id, in.via());
        long epoch = in.epoch();
        // Read after the detector: a declaration or fence made before it is visible in this state.
        ClusterState state = coordinator.state();
        RingView ring = state.ring();
        coordinator.reported(id, epoch);
        Optional<NodeStatus> known = state.node(id).map(NodeRecord::status);
        if (known.isEmpty()) {
            return new HeartbeatReply(ring.epoch(), leaseMs, false, HeartbeatReply.UNKNOWN,
                    "the ECS just forgot node " + id);
        }
        NodeStatus status = known.get();
        String refusal;
        if (beat.declared() || status == NodeStatus.FAILED) {
            refusal = "the ECS declared this node FAILED; it is re-admitted by an add";
        } else if (ring.members().stream().noneMatch(m -> m.id().equals(id))) {
            refusal = "not a member of the ring at epoch " + ring.epoch();
        } else if (beat.restartPending()) {
            refusal = "restarted under a new incarnation; waiting for the ring that fences the old one";
        } else if (epoch < ring.epoch()) {
            refusal = "routes by epoch " + epoch + ", the ring is at " + ring.epoch() + "; pull it";
        } else {
            refusal = null;
        }
        return new HeartbeatReply(ring.epoch(), leaseMs, refusal == null, status.name(), refusal, verdict.deadBy());
    }

    /**
     * Null when a relayed heartbeat (its signature checked by the caller) may count: newer than
     * every heartbeat seen from that process. Otherwise why not.
     */
    private String checkRelayed(Heartbeat in) {
        if (in.seq() <= 0) {
            return "a relayed heartbeat must carry its node's seq";
        }
        if (!relays.advance(in.id(), in.incarnation(), in.seq())) {
            return "heartbeat " + in.seq() + " of this process was seen already (a replay, or a slower copy)";
        }
        return null;
    }

    /** The relay a node's last counted heartbeat came through, or null when it came directly. */
    String heartbeatVia(String id) {
        return relays.via(id);
    }

    /** The ring members whose gossip finds {@code id} dead now. */
    List<String> deadBy(String id) {
        Instant now = clock.instant();
        return reports.condemners(id, memberIds(coordinator.state()), m -> detector.isLive(m, now), now);
    }

    /**
     * Nodes that just joined the ring are watched from now on; one declared failed before (and
     * re-admitted) may hold a lease again at once, not only after the next round.
     */
    void joined(List<Member> joining) {
        detector.watch(joining.stream().map(Member::id).toList(), clock.instant());
    }

    /** Members heard from within the failure timeout and not declared failed. */
    int liveMembers() {
        return detector.live(memberIds(coordinator.state()), clock.instant());
    }

    // -------------------------------------------------------------------------------- the round

    /**
     * One round of failure detection: declares silent members failed, fences restarted ones,
     * records new incarnations, and re-admits failed nodes heard from again. Never calls a node;
     * blocks only on persisting the state. Skipped until the coordinator started and while it
     * recovers (recovery decides about every member itself, relaunching local ones).
     */
    void round() {
        if (!coordinator.started() || coordinator.recovering()) {
            return;
        }
        Instant now = clock.instant();
        ClusterState state = coordinator.state();
        List<String> members = memberIds(state);
        Set<String> known = state.nodes().stream().map(NodeRecord::id).collect(Collectors.toSet());
        detector.retain(known);
        reports.retain(known);
        relays.retain(known);
        detector.watch(members, now);
        recordIncarnations(state);

        List<Silent> silent = detector.silent(members, now);
        if (!silent.isEmpty() && silent.size() == members.size()) {
            if (!allSilentLogged) {
                log.error("every member of the ring ({}) is silent; keeping the ring rather than emptying it: is the "
                        + "ECS cut off from its nodes?", members);
                allSilentLogged = true;
            }
            silent = List.of();
        } else {
            allSilentLogged = false;
        }
        List<Silent> failed = detector.declare(silent.stream().map(Silent::id).toList(), now);
        List<Restart> restarted = new ArrayList<>();
        for (Restart restart : detector.restarts()) {
            if (members.contains(restart.id()) && failed.stream().noneMatch(f -> f.id().equals(restart.id()))) {
                restarted.add(restart);
            } else {
                detector.fenced(restart.id(), restart.incarnation()); // not a member: nothing to fence
            }
        }
        if (!failed.isEmpty() || !restarted.isEmpty()) {
            Set<String> cutOff = new HashSet<>();
            for (Silent f : failed) {
                if (reports.wasCutOff(f.id(), f.lastHeard())) {
                    cutOff.add(f.id());
                }
            }
            commit(failed, cutOff, restarted, now);
        }
        rejoin(state, now);
    }

    /** Persists incarnations first heard (or changed) on nodes that need no fence for them. */
    private void recordIncarnations(ClusterState state) {
        Set<String> pending = detector.restarts().stream().map(Restart::id).collect(Collectors.toSet());
        List<NodeRecord> changed = new ArrayList<>();
        for (NodeRecord node : state.nodes()) {
            Optional<String> heard = detector.incarnation(node.id());
            if (heard.isPresent() && !heard.get().equals(node.incarnation()) && !pending.contains(node.id())) {
                changed.add(node);
            }
        }
        if (!changed.isEmpty()) {
            coordinator.updateQuietly(s -> {
                ClusterState next = s;
                for (NodeRecord node : changed) {
                    Optional<NodeRecord> now = next.node(node.id());
                    Optional<String> heard = detector.incarnation(node.id());
                    if (now.isPresent() && heard.isPresent()) {
                        next = next.withNode(now.get().withIncarnation(heard.get()));
                    }
                }
                return next;
            });
        }
    }

    /**
     * Commits one ring without the failed members (same members when only restarts) under the next
     * epoch, records it in the failover operation (started here when none runs) and cancels the
     * ring change under way. When the state cannot be persisted, or the ring changed since the
     * round looked (a ring change committed meanwhile), nothing happened: the declarations are
     * taken back and the next round decides again.
     */
    private void commit(List<Silent> failed, Set<String> cutOff, List<Restart> restarted, Instant now) {
        Set<String> out = failed.stream().map(Silent::id).collect(Collectors.toSet());
        String[] started = new String[1];
        Ring[] committed = new Ring[1];
        try {
            coordinator.update(s -> {
                RingView view = s.ring();
                Set<String> members = view.members().stream().map(Member::id).collect(Collectors.toSet());
                List<Member> remaining = view.members().stream().filter(m -> !out.contains(m.id())).toList();
                if (!members.containsAll(out) || remaining.isEmpty()
                        || restarted.stream().anyMatch(r -> !members.contains(r.id()))) {
                    throw new OperationFailure("the ring changed since the round looked at it");
                }
                long epoch = coordinator.epochFloor() + 1;
                Ring next = view.toRing().withMembers(epoch, remaining); // keeps vnodes and the replication factor
                ClusterState state = s.withRing(next);
                for (String id : out) {
                    NodeRecord node = state.node(id).orElseThrow();
                    state = state.withNode(node.withStatus(NodeStatus.FAILED));
                }
                for (Restart restart : restarted) {
                    NodeRecord node = state.node(restart.id()).orElseThrow();
                    state = state.withNode(node.withIncarnation(restart.incarnation()));
                }
                OperationView op;
                if (operation != null) {
                    op = state.operation(operation).orElseThrow();
                } else {
                    String id = "op-" + state.nextOperationNumber();
                    state = state.withNextOperationNumber(state.nextOperationNumber() + 1);
                    op = OperationView.queued(id, OperationKind.FAILOVER, List.of(), 0, view.epoch(), now)
                            .running(now);
                    started[0] = id;
                }
                Set<String> ids = new LinkedHashSet<>(op.nodeIds());
                for (Silent f : failed) {
                    ids.add(f.id());
                    op = op.withDetection(Detection.of(f.id(), cutOff.contains(f.id()) ? Cause.CUT_OFF : Cause.FAILED,
                            f.incarnation(), f.lastHeard(), now, epoch));
                }
                for (Restart r : restarted) {
                    ids.add(r.id());
                    op = op.withDetection(Detection.of(r.id(), Cause.RESTARTED, r.incarnation(), r.heardAt(), now,
                            epoch));
                }
                op = op.withNodeIds(List.copyOf(ids)).withToEpoch(epoch)
                        .withStep("published the ring at epoch " + epoch + " without " + (out.isEmpty() ? "change"
                                : String.join(", ", out.stream().sorted().toList())));
                committed[0] = next;
                return state.withOperation(op);
            }, () -> {
                if (started[0] != null) {
                    operation = started[0];
                }
                targetEpoch = committed[0].epoch();
            });
        } catch (RuntimeException e) {
            log.warn("failover of {} / fence of {} not committed ({}); the next round decides again", out,
                    restarted.stream().map(Restart::id).toList(), e.toString());
            detector.undeclare(out);
            return;
        }
        for (Restart restart : restarted) {
            detector.fenced(restart.id(), restart.incarnation());
        }
        String what = describe(failed, cutOff, restarted, now);
        log.warn("{}: ring epoch {} published with {} members", what, committed[0].epoch(),
                committed[0].members().size());
        coordinator.cancelActive(what + ": the ring moved to epoch " + committed[0].epoch());
        failed.forEach(f -> coordinator.detected(cutOff.contains(f.id()) ? Cause.CUT_OFF : Cause.FAILED));
        restarted.forEach(r -> coordinator.detected(Cause.RESTARTED));
        if (started[0] != null) {
            String id = started[0];
            try {
                runner.execute(() -> run(id));
            } catch (RuntimeException rejected) {
                clearOperation();
                coordinator.finish(id, OperationState.FAILED, "not started: " + rejected);
            }
        }
    }

    private static String describe(List<Silent> failed, Set<String> cutOff, List<Restart> restarted, Instant now) {
        List<String> parts = new ArrayList<>();
        for (Silent f : failed) {
            long silentMs = Duration.between(f.lastHeard(), now).toMillis();
            parts.add(cutOff.contains(f.id())
                    ? "node " + f.id() + " CUT_OFF (a majority of the ring finds it dead by gossip; no heartbeat counted"
                            + " for " + silentMs + " ms)"
                    : "node " + f.id() + " FAILED (silent for " + silentMs + " ms)");
        }
        for (Restart r : restarted) {
            parts.add("node " + r.id() + " RESTARTED (incarnation " + r.previous() + " -> " + r.incarnation() + ")");
        }
        return String.join(", ", parts);
    }

    /** Re-admits FAILED nodes that heartbeat again, one operation at a time, each at most every REJOIN_RETRY. */
    private void rejoin(ClusterState state, Instant now) {
        for (NodeRecord node : state.nodes()) {
            if (node.status() != NodeStatus.FAILED || !detector.alive(node.id(), now)
                    || now.isBefore(rejoinNotBefore.getOrDefault(node.id(), Instant.MIN))) {
                continue;
            }
            try {
                OperationView op = coordinator.readmit(node.id());
                rejoinNotBefore.put(node.id(), now.plus(REJOIN_RETRY));
                log.info("node {}, declared FAILED, heartbeats again: {} re-admits it", node.id(), op.id());
                return; // one ring change at a time: the others next round
            } catch (ClusterException busy) {
                return; // another operation runs; next round
            }
        }
        rejoinNotBefore.keySet().removeIf(id -> state.node(id).map(n -> n.status() != NodeStatus.FAILED).orElse(true));
    }

    // ------------------------------------------------------------------------------ the operation

    /**
     * The failover operation after its first ring: publish, repair, and again for every newer
     * failover ring committed meanwhile, until the newest one is repaired.
     */
    private void run(String id) {
        OperationRun run = new OperationRun(id, change -> coordinator.updateOperation(id, change));
        try {
            while (true) {
                Ring ring = coordinator.ring();
                publish(run, ring);
                boolean repaired;
                try {
                    repaired = repairs.repair(run, ring, () -> coordinator.ring().epoch() != ring.epoch());
                } catch (OperationFailure e) {
                    if (coordinator.ring().epoch() == ring.epoch()) {
                        throw e;
                    }
                    run.error(e.getMessage() + "; repairing towards the newer ring instead");
                    repaired = false;
                }
                boolean done = repaired && coordinator.locked(() -> {
                    if (targetEpoch <= ring.epoch()) {
                        operation = null;
                        return true;
                    }
                    return false;
                });
                if (done) {
                    coordinator.finish(id, OperationState.SUCCEEDED, "ring at epoch " + ring.epoch() + " published"
                            + " and repaired");
                    return;
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("{} failed", id, e);
            run.error(e.getMessage() == null ? e.toString() : e.getMessage());
            clearOperation();
            coordinator.finish(id, OperationState.FAILED, "failed at: " + run.view().step());
        }
    }

    /**
     * Sends the ring to the members that have not confirmed it, once each, up to the push fanout
     * (the others learn it from their peers' gossip, or pull it when a heartbeat reply announces
     * it, and the background round pushes to any still behind), then stamps the detections it
     * covers as published.
     */
    private void publish(OperationRun run, Ring ring) {
        run.step("publishing the ring at epoch " + ring.epoch() + " to " + (pushFanout == 0
                ? ring.members().size() + " members" : "up to " + pushFanout + " of its " + ring.members().size()
                + " members, the others by gossip"));
        RingView view = RingView.of(ring);
        int pushed = 0;
        for (Member member : ring.members()) {
            if (coordinator.confirmedEpoch(member.id()) >= ring.epoch()) {
                continue;
            }
            if (pushFanout > 0 && pushed++ >= pushFanout) {
                break;
            }
            try {
                nodes.putRing(member, view);
                coordinator.confirmed(member.id(), ring.epoch());
            } catch (NodeCallException e) {
                run.error("publish: " + e.getMessage() + "; the node pulls it after its next heartbeat");
            }
        }
        Instant at = clock.instant();
        coordinator.updateOperation(run.id(), op -> {
            OperationView next = op;
            for (Detection d : op.detections()) {
                if (d.publishedAt() == null && d.epoch() <= ring.epoch()) {
                    next = next.withDetection(d.published(at));
                }
            }
            return next;
        });
    }

    private void clearOperation() {
        coordinator.locked(() -> {
            operation = null;
            return null;
        });
    }

    private static List<String> memberIds(ClusterState state) {
        return state.ring().members().stream().map(Member::id).toList();
    }
}
