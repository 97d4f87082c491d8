package io.ringkv.ecs;

import io.ringkv.ecs.ClusterException.Kind;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ECS's core: owns the cluster state, admits ring-changing operations one at a time and runs
 * them on {@code worker}. Plain Java: nodes are reached through {@link NodeClient}, processes
 * through {@link Launcher}, time through the injected clock and {@link Pacer}, so tests drive it
 * with fakes.
 *
 * <p>Every state change is persisted before anything acts on it. A ring change commits when the
 * new ring is persisted, after every source reported READY; recovery after a crash finishes a
 * committed change (publishes it) and rolls back one that was not (aborts the handoffs).
 *
 * <p>Failures are {@link Failover}'s: heartbeats, the failure detector's {@link #failureRound()},
 * and FAILOVER operations, which run on {@code failoverWorker} beside the one ring change at a time
 * and cancel it (see there).
 *
 * <p>Thread-safe: request threads submit and read; the worker runs operations; a timer calls
 * {@link #tick()}, another {@link #failureRound()}. State is guarded by {@code lock}; no node is
 * called while holding it.
 */
public final class Coordinator {
    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);
    private static final String NODE_ID_PREFIX = "node-";

    /**
     * Limits and timings.
     *
     * @param nodesMax largest cluster the ECS builds (members plus joining nodes)
     * @param handoffTimeout how long a handoff may take before the change is rolled back
     * @param poll time between polls of handoff progress and readiness
     * @param nodeStartTimeout how long a launched node may take to become ready
     * @param shutdownGrace how long a removed node may take to exit before it is stopped
     * @param gainerPublishTimeout how long publishing to a node that gains ranges is retried
     * @param failureTimeout a member not heard from for this long is declared failed; nodes hold
     *     leases of half of it (a failover's repair is bounded by handoffTimeout, like a handoff)
     * @param replicationFactor copies of every key, written into every ring
     * @param ringPushFanout members a new ring is pushed to besides those that gain or leave ranges,
     *     0 for every member; the others learn it from their peers' gossip or their next heartbeat
     *     reply, and the background tick pushes it to any still behind
     */
    public record Settings(int vnodes, int initialNodes, int nodesMax, Duration handoffTimeout, Duration poll,
            Duration nodeStartTimeout, Duration shutdownGrace, Duration gainerPublishTimeout,
            Duration failureTimeout, int replicationFactor, int ringPushFanout) {}

    /** Told of every finished operation and every failure detected (metrics). */
    public interface OperationListener {
        void finished(OperationView operation);

        /** A member was declared failed, or restarted, and a ring was committed for it. */
        default void detected(Detection.Cause cause) {}
    }

    private final Settings settings;
    private final StateStore store;
    private final NodeClient nodes;
    private final Launcher launcher;
    private final InstantSource clock;
    private final Pacer pacer;
    private final Executor worker;
    private final OperationListener listener;
    private final HandoffDriver driver;
    private final Failover failover;
    private final Object lock = new Object();
    /** Written under lock; volatile so that heartbeats read it without waiting for a save. */
    private volatile ClusterState state;
    /** Id of the queued or running operation, null when idle. Guarded by lock. */
    private String active;
    /** The handle of that operation, through which a failover cancels it. */
    private volatile OperationRun activeRun;
    /** Highest ring epoch each node is known to have adopted; a node below the ring's epoch is pushed again. */
    private final Map<String, Long> confirmedEpochs = new ConcurrentHashMap<>();
    /** The last failure logged per node, so that a node that stays down is logged once, not every tick. */
    private final Map<String, String> lastProblems = new ConcurrentHashMap<>();
    private volatile URI ecsUrl;
    /** First wait before the initial nodes are launched again after a failed boot; doubles up to the max. */
    static final Duration BOOT_RETRY_FIRST = Duration.ofSeconds(30);
    static final Duration BOOT_RETRY_MAX = Duration.ofMinutes(5);
    // Guarded by lock: when an empty cluster may try its boot again, and the wait after that.
    private Instant bootRetryAt;
    private Duration bootRetryWait = BOOT_RETRY_FIRST;

    /**
     * @param worker runs the ring changes, one at a time
     * @param failoverWorker runs FAILOVER operations, so that none waits behind a ring change
     */
    public Coordinator(Settings settings, StateStore store, NodeClient nodes, Launcher launcher, InstantSource clock,
            Pacer pacer, Executor worker, Executor failoverWorker, OperationListener listener) {
        this.settings = settings;
        this.store = store;
        this.nodes = nodes;
        this.launcher = launcher;
        this.clock = clock;
        this.pacer = pacer;
        this.worker = worker;
        this.listener = listener;
        // Waits of a ring change end early when a failover cancels it.
        Pacer cancellable = duration -> {
            checkCancelled();
            pacer.pause(duration);
        };
        this.driver = new HandoffDriver(nodes, clock, cancellable, settings.handoffTimeout(), settings.poll(),
                settings.gainerPublishTimeout(), settings.ringPushFanout());
        this.failover = new Failover(this,
                new FailureDetector(settings.failureTimeout(), Failover.roundInterval(settings.failureTimeout())),
                new RepairDriver(nodes, clock, pacer, settings.handoffTimeout(), settings.poll()), nodes, clock,
                failoverWorker, settings.ringPushFanout());
        this.state = store.load().orElseGet(() -> ClusterState.empty(settings.vnodes(), settings.replicationFactor()));
        if (state.ring().vnodes() != settings.vnodes()) {
            // Tokens derive from ids and vnodes: changing vnodes under a running cluster would move
            // most keys without a handoff.
            throw new IllegalStateException("the persisted ring has " + state.ring().vnodes()
                    + " vnodes per node but ringkv.ring.vnodes=" + settings.vnodes() + "; keep the value the cluster "
                    + "was built with");
        }
        if (state.currentRing().replicationFactor() != settings.replicationFactor()) {
            // Changing the factor under a running cluster would need every range re-replicated or
            // trimmed at once; it is fixed when the cluster is built.
            throw new IllegalStateException("the persisted ring keeps " + state.currentRing().replicationFactor()
                    + " copies of every key but ringkv.replication.factor=" + settings.replicationFactor()
                    + "; keep the value the cluster was built with");
        }
    }

    // ---------------------------------------------------------------------------------- reading

    public ClusterView cluster() {
        Instant now = clock.instant();
        synchronized (lock) {
            String under = failover.operationLocked() != null ? failover.operationLocked() : active;
            return ClusterView.of(state, launcher.canLaunch() ? "local" : "static", under,
                    id -> failover.detector().sinceHeard(id, now).map(Duration::toMillis).orElse(null),
                    failover::heartbeatVia, failover::deadBy);
        }
    }

    /**
     * A node's heartbeat: recorded for the failure detector; the reply carries the ring epoch and
     * says whether the node's lease is renewed. Never blocks on the disk or a node.
     */
    public HeartbeatReply heartbeat(Heartbeat beat) {
        return failover.heartbeat(beat);
    }

    /** Members heard from within the failure timeout and not declared failed. */
    public int liveMembers() {
        return failover.liveMembers();
    }

    /**
     * One round of failure detection (see {@link Failover#round}); call every {@link
     * #failureRoundInterval()} from a thread of its own. Blocks only on persisting the state.
     */
    public void failureRound() {
        failover.round();
    }

    public Duration failureRoundInterval() {
        return Failover.roundInterval(settings.failureTimeout());
    }

    public Ring ring() {
        synchronized (lock) {
            return state.currentRing();
        }
    }

    public Optional<OperationView> operation(String id) {
        synchronized (lock) {
            return state.operation(id);
        }
    }

    public List<OperationView> operations() {
        synchronized (lock) {
            return state.operations();
        }
    }

    public StateStore store() {
        return store;
    }

    // -------------------------------------------------------------------------------- admission

    /**
     * Starts the coordinator once the ECS is reachable at {@code url}: recovers a persisted cluster
     * (re-adopts or relaunches its nodes) or, for a new one, launches the initial nodes.
     */
    public void start(URI url) {
        this.ecsUrl = url;
        boolean known;
        synchronized (lock) {
            known = !state.nodes().isEmpty();
        }
        if (known) {
            submit(OperationKind.RECOVER, List.of(), 0, run -> new Recovery(this).run(run));
        } else if (launcher.canLaunch() && settings.initialNodes() > 0) {
            synchronized (lock) {
                bootRetryAt = clock.instant().plus(bootRetryWait);
            }
            submit(OperationKind.ADD_NODES, List.of(), settings.initialNodes(),
                    run -> addNodes(run, settings.initialNodes()));
        }
    }

    /**
     * A boot whose initial nodes never became ready leaves an empty cluster; launch them again,
     * waiting longer each time (a launch that fails for good, e.g. bad JVM options, must not spin).
     */
    private void retryBoot() {
        synchronized (lock) {
            Instant now = clock.instant();
            if (active != null || !state.nodes().isEmpty() || bootRetryAt == null || now.isBefore(bootRetryAt)) {
                return;
            }
            bootRetryWait = bootRetryWait.multipliedBy(2).compareTo(BOOT_RETRY_MAX) > 0
                    ? BOOT_RETRY_MAX
                    : bootRetryWait.multipliedBy(2);
            bootRetryAt = now.plus(bootRetryWait);
        }
        log.warn("the cluster has no nodes after a failed boot; launching the {} initial nodes again",
                settings.initialNodes());
        try {
            submit(OperationKind.ADD_NODES, List.of(), settings.initialNodes(),
                    run -> addNodes(run, settings.initialNodes()));
        } catch (ClusterException e) {
            log.info("boot retry deferred: {}", e.getMessage()); // a request got in first; next tick
        }
    }

    /** POST /nodes {"count": n}. */
    public OperationView addNodes(int count) {
        if (!launcher.canLaunch()) {
            launcher.launch("-", ecsUrl, Set.of()); // throws the launcher's explanation
        }
        checkCount(count);
        return submit(OperationKind.ADD_NODES, List.of(), count, run -> addNodes(run, count));
    }

    /**
     * A node introduces itself (at its start, or an operator names it): a node the ECS knows gets
     * the cluster view and nothing changes; an unknown one is admitted by an operation.
     *
     * @param id the node's id, or null to learn it from the node
     * @return the admitting operation, or empty when the node was known
     */
    public Optional<OperationView> register(String id, String host, int port, int restPort) {
        if (id != null) {
            synchronized (lock) {
                Optional<NodeRecord> known = state.node(id);
                if (known.isPresent()) {
                    // It restarted, or is starting under an operation: push the ring to it again soon.
                    confirmedEpochs.remove(id);
                    log.info("node {} registered; known, status {}", id, known.get().status());
                    return Optional.empty();
                }
            }
        }
        checkCount(1);
        return Optional.of(submit(OperationKind.ADMIT_NODE, id == null ? List.of() : List.of(id), 1,
                run -> admit(run, id, host, port, restPort)));
    }

    /** DELETE /nodes/{id}. */
    public OperationView removeNode(String id) {
        synchronized (lock) {
            if (state.node(id).isEmpty()) {
                throw new ClusterException(Kind.NOT_FOUND, "no node with id '" + id + "'");
            }
            if (state.currentRing().member(id).isPresent() && state.currentRing().members().size() == 1) {
                throw new ClusterException(Kind.CONFLICT, "node " + id
                        + " is the last member of the ring; its data would have nowhere to go");
            }
        }
        return submit(OperationKind.REMOVE_NODE, List.of(id), 0, run -> remove(run, id));
    }

    /** POST /scale {"nodes": n}. */
    public OperationView scale(int size) {
        if (size < 1 || size > settings.nodesMax()) {
            throw new ClusterException(Kind.BAD_REQUEST, "nodes must be 1.." + settings.nodesMax()
                    + " (ringkv.ecs.nodes-max): " + size);
        }
        if (!launcher.canLaunch() && size > ring().members().size()) {
            launcher.launch("-", ecsUrl, Set.of());
        }
        return submit(OperationKind.SCALE, List.of(), size, run -> scaleTo(run, size));
    }

    /** POST /rebalance. */
    public OperationView rebalance() {
        if (ring().isEmpty()) {
            throw new ClusterException(Kind.CONFLICT, "the ring has no members yet: nothing to rebalance");
        }
        return submit(OperationKind.REBALANCE, List.of(), 0, this::rebalance);
    }

    private void checkCount(int count) {
        synchronized (lock) {
            int room = settings.nodesMax() - state.nodes().size();
            if (count < 1 || count > room) {
                throw new ClusterException(Kind.BAD_REQUEST, "count must be 1.." + Math.max(room, 1)
                        + ": the cluster has " + state.nodes().size() + " nodes and ringkv.ecs.nodes-max is "
                        + settings.nodesMax() + "; got " + count);
            }
        }
    }

    /**
     * Queues the operation, or refuses with CONFLICT while another (or a FAILOVER) is queued or
     * running.
     */
    private OperationView submit(OperationKind kind, List<String> nodeIds, int requested,
            Consumer<OperationRun> body) {
        OperationView queued;
        OperationRun run;
        synchronized (lock) {
            String busy = active != null ? active : failover.operationLocked();
            if (busy != null) {
                OperationView other = state.operation(busy).orElseThrow();
                throw new ClusterException(Kind.CONFLICT, "operation " + other.id() + " (" + other.kind() + ") is "
                        + other.state() + "; one ring change at a time: poll GET /api/v1/operations/" + other.id());
            }
            String id = "op-" + state.nextOperationNumber();
            queued = OperationView.queued(id, kind, nodeIds, requested, state.ring().epoch(), clock.instant());
            commit(state.withNextOperationNumber(state.nextOperationNumber() + 1).withOperation(queued));
            active = id;
            run = new OperationRun(id, change -> updateOperation(id, change));
            activeRun = run;
        }
        try {
            worker.execute(() -> run(run, body));
        } catch (RuntimeException rejected) {
            finish(queued.id(), OperationState.FAILED, "not started: " + rejected);
            throw rejected;
        }
        return queued;
    }

    private void run(OperationRun run, Consumer<OperationRun> body) {
        String id = run.id();
        synchronized (lock) {
            commit(state.withOperation(state.operation(id).orElseThrow().running(clock.instant())));
        }
        try {
            run.checkCancelled();
            body.accept(run);
            finish(id, OperationState.SUCCEEDED, "done");
        } catch (RuntimeException e) {
            log.warn("{} failed", id, e);
            run.error(e.getMessage() == null ? e.toString() : e.getMessage());
            finish(id, OperationState.FAILED, "failed at: " + run.view().step());
        }
    }

    void finish(String id, OperationState result, String step) {
        OperationView done;
        synchronized (lock) {
            done = state.operation(id).orElseThrow().finished(result, step, clock.instant());
            if (id.equals(active)) {
                active = null;
                activeRun = null;
            }
            commitQuietly(state.withOperation(done));
        }
        log.info("{} {} {}", id, done.kind(), result);
        listener.finished(done);
    }

    /** Replaces an operation's snapshot in memory (persisted with the next commit). */
    OperationView updateOperation(String id, UnaryOperator<OperationView> change) {
        synchronized (lock) {
            OperationView next = change.apply(state.operation(id).orElseThrow());
            state = state.withOperation(next);
            return next;
        }
    }

    // ------------------------------------------------------------------------------- operations

    private void addNodes(OperationRun run, int count) {
        List<NodeRecord> launched = new ArrayList<>();
        try {
            run.step("launching " + count + " node(s)");
            for (int i = 0; i < count; i++) {
                String id = nextNodeId();
                NodeRecord node = launcher.launch(id, ecsUrl, portsTaken());
                launched.add(node);
                update(s -> s.withNode(node));
                run.nodeIds(launched.stream().map(NodeRecord::id).toList());
            }
            awaitReady(run, launched);
            join(run, launched);
        } catch (RuntimeException e) {
            discard(run, launched);
            throw e;
        }
    }

    private void admit(OperationRun run, String id, String host, int port, int restPort) {
        Member probe = new Member(id == null ? "unregistered" : id, host, port, restPort);
        run.step("asking " + host + ":" + restPort + " who it is");
        NodeClient.NodeInfo info = nodes.info(probe);
        if (id != null && !id.equals(info.id())) {
            throw new OperationFailure("the node at " + host + ":" + restPort + " says its id is '" + info.id()
                    + "', not '" + id + "'");
        }
        NodeRecord node = NodeRecord.admitted(new Member(info.id(), host, port, restPort));
        synchronized (lock) {
            if (state.node(node.id()).isPresent()) {
                throw new OperationFailure("a node with id '" + node.id() + "' is already known");
            }
        }
        run.nodeIds(List.of(node.id()));
        update(s -> s.withNode(node));
        try {
            awaitReady(run, List.of(node));
            join(run, List.of(node));
        } catch (RuntimeException e) {
            discard(run, List.of(node));
            throw e;
        }
    }

    /** Re-admits a FAILED node that is heard from again (the failure detector asks): a normal add. */
    OperationView readmit(String id) {
        return submit(OperationKind.ADMIT_NODE, List.of(id), 1, run -> readmit(run, id));
    }

    /**
     * The node keeps its record (id, ports, data directory); its process may be a new one, whose
     * pid the ECS takes over. On failure it is FAILED again and the detector tries later.
     */
    private void readmit(OperationRun run, String id) {
        NodeRecord failed = node(id);
        if (failed.status() != NodeStatus.FAILED) {
            throw new OperationFailure("node " + id + " is " + failed.status() + ", not FAILED");
        }
        run.step("re-admitting node " + id + ", declared FAILED and heard from again");
        try {
            NodeClient.NodeInfo info = nodes.info(failed.member());
            if (!info.id().equals(id)) {
                throw new OperationFailure("the node at " + failed.host() + ":" + failed.restPort() + " is '"
                        + info.id() + "', not '" + id + "'");
            }
            NodeRecord node = failed.withStatus(NodeStatus.JOINING)
                    .withPid(failed.local() && info.pid() > 0 ? Long.valueOf(info.pid()) : failed.pid());
            launcher.adopt(node);
            update(s -> s.withNode(node));
            awaitReady(run, List.of(node));
            join(run, List.of(node));
        } catch (RuntimeException e) {
            update(s -> s.ring().members().stream().anyMatch(m -> m.id().equals(id)) ? s
                    : s.node(id).map(n -> s.withNode(n.withStatus(NodeStatus.FAILED))).orElse(s));
            throw e;
        }
    }

    /** Gives ready, not yet member, nodes their ranges in one ring change. */
    private void join(OperationRun run, List<NodeRecord> newcomers) {
        RingChange change = RingChange.adding(ring(), newcomers.stream().map(NodeRecord::member).toList());
        change(run, change);
    }

    private void remove(OperationRun run, String id) {
        NodeRecord node = node(id);
        Ring ring = ring();
        if (ring.member(id).isPresent()) {
            update(s -> s.withNode(node.withStatus(NodeStatus.LEAVING)));
            try {
                change(run, RingChange.removing(ring, id));
            } catch (RuntimeException e) {
                // Unless a failover declared it FAILED meanwhile: that stands.
                update(s -> s.node(id).filter(n -> n.status() == NodeStatus.LEAVING)
                        .map(n -> s.withNode(n.withStatus(NodeStatus.UP))).orElse(s));
                throw e;
            }
        }
        retire(run, node(id));
    }

    /** Shuts a node down that the ring no longer has, and forgets it. */
    private void retire(OperationRun run, NodeRecord node) {
        run.step("shutting down node " + node.id());
        try {
            nodes.shutdown(node.member());
        } catch (NodeCallException e) {
            run.error("shutdown: " + e.getMessage());
        }
        launcher.awaitExitOrStop(node, settings.shutdownGrace());
        confirmedEpochs.remove(node.id());
        update(s -> s.withoutNode(node.id()));
    }

    private void scaleTo(OperationRun run, int size) {
        int members = ring().members().size();
        if (size > members) {
            addNodes(run, size - members);
        }
        while (ring().members().size() > size) {
            // The newest node leaves first: it holds the least history and its id is the highest.
            Member newest = ring().members().stream()
                    .max(java.util.Comparator.comparingInt(Coordinator::nodeNumber)
                            .thenComparing(Member::id))
                    .orElseThrow();
            run.step("scaling to " + size + ": removing " + newest.id());
            remove(run, newest.id());
        }
        run.step("the ring has " + ring().members().size() + " members");
    }

    private void rebalance(OperationRun run) {
        Ring ring = ring();
        run.step("re-publishing the ring at epoch " + ring.epoch());
        for (Member member : ring.members()) {
            try {
                nodes.putRing(member, RingView.of(ring));
                confirmedEpochs.merge(member.id(), ring.epoch(), Math::max);
            } catch (NodeCallException e) {
                run.error("publish: " + e.getMessage());
            }
        }
        change(run, RingChange.rebalancing(ring));
    }

    /**
     * One ring change: hand off, commit (persist the new ring: the point of no return), publish.
     * Joining nodes become UP at the commit. A change whose ring was replaced meanwhile (a failover
     * published a newer one) does not commit: its handoff is aborted. One cancelled while publishing
     * stops publishing (the nodes pull the ring) and goes on.
     */
    private void change(OperationRun run, RingChange change) {
        long epoch = change.after().epoch();
        synchronized (lock) {
            if (state.ring().epoch() != change.before().epoch()) {
                throw new OperationFailure("the ring moved to epoch " + state.ring().epoch() + " while planning epoch "
                        + epoch);
            }
            run.toEpoch(epoch);
            commit(state);
        }
        OperationView before = run.view();
        driver.handOff(run, change, before.keysMoved(), before.bytesMoved());
        try {
            update(s -> {
                if (s.ring().epoch() != change.before().epoch()) {
                    throw new OperationFailure("not committed: the ring moved from epoch " + change.before().epoch()
                            + " to " + s.ring().epoch() + " during the handoff (a failover); rolled back");
                }
                ClusterState next = s.withRing(change.after());
                for (Member joining : change.joining()) {
                    next = next.withNode(next.node(joining.id()).orElseThrow().withStatus(NodeStatus.UP));
                }
                return next;
            });
        } catch (RuntimeException e) {
            // The sources are READY, their outgoing ranges write-locked: unlock them.
            driver.abort(run, change.sources());
            throw e;
        }
        failover.joined(change.joining());
        try {
            driver.publish(run, change, (id, e) -> confirmedEpochs.merge(id, e, Math::max));
        } catch (OperationFailure cancelled) {
            run.error("publishing epoch " + epoch + " stopped: " + cancelled.getMessage()
                    + "; the ring is committed and the nodes pull it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationFailure("interrupted while publishing epoch " + epoch
                    + "; the ring is committed and is pushed again in the background", e);
        }
    }

    /** Waits until every node answers readiness with its own id, or fails the operation. */
    void awaitReady(OperationRun run, List<NodeRecord> waiting) {
        Instant deadline = clock.instant().plus(settings.nodeStartTimeout());
        List<NodeRecord> pending = new ArrayList<>(waiting);
        while (!pending.isEmpty()) {
            run.step("waiting for " + String.join(", ", pending.stream().map(NodeRecord::id).toList())
                    + " to be ready");
            pending.removeIf(node -> {
                if (node.local() && !launcher.isRunning(node)) {
                    throw new OperationFailure("node " + node.id() + " exited during start-up; see " + node.logFile());
                }
                if (!nodes.ready(node.member())) {
                    return false;
                }
                String id = nodes.info(node.member()).id();
                if (!id.equals(node.id())) {
                    throw new OperationFailure("the node at " + node.host() + ":" + node.restPort() + " is '" + id
                            + "', not '" + node.id() + "'");
                }
                return true;
            });
            if (pending.isEmpty()) {
                return;
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new OperationFailure("not ready within " + settings.nodeStartTimeout()
                        + " (ringkv.ecs.node-start-timeout): " + pending.stream().map(NodeRecord::id).toList());
            }
            pause(settings.poll());
        }
    }

    /** Stops and forgets nodes an operation brought in but did not add to the ring. */
    private void discard(OperationRun run, List<NodeRecord> newcomers) {
        for (NodeRecord node : newcomers) {
            if (ring().member(node.id()).isPresent()) {
                continue;
            }
            if (node.local()) {
                try {
                    nodes.shutdown(node.member());
                } catch (NodeCallException e) {
                    // It may never have started; the launcher stops the process either way.
                }
                launcher.awaitExitOrStop(node, Duration.ZERO);
            }
            update(s -> s.withoutNode(node.id()));
            run.error("node " + node.id() + " was not added and has been " + (node.local() ? "stopped" : "forgotten"));
        }
    }

    // ---------------------------------------------------------------------------------- the tick

    /**
     * Background upkeep, called every few seconds while idle: pushes the ring to every member that
     * has not confirmed its epoch, checks the others are alive, and marks members UP or DOWN.
     * Blocks for at most one bounded call per member.
     */
    public void tick() {
        retryBoot();
        Ring ring;
        List<NodeRecord> members;
        synchronized (lock) {
            if (active != null || ecsUrl == null) {
                return;
            }
            ring = state.currentRing();
            members = state.nodes().stream().filter(n -> ring.member(n.id()).isPresent()).toList();
        }
        for (NodeRecord node : members) {
            boolean answered;
            try {
                if (confirmedEpochs.getOrDefault(node.id(), -1L) < ring.epoch()) {
                    nodes.putRing(node.member(), RingView.of(ring));
                    confirmedEpochs.merge(node.id(), ring.epoch(), Math::max);
                    log.info("node {} adopted the ring at epoch {}", node.id(), ring.epoch());
                } else {
                    nodes.info(node.member());
                }
                answered = true;
                lastProblems.remove(node.id());
            } catch (NodeCallException e) {
                answered = e.status() != 0;
                if (!e.getMessage().equals(lastProblems.put(node.id(), e.getMessage()))) {
                    log.warn("{}", e.getMessage());
                }
            }
            NodeStatus status = answered ? NodeStatus.UP : NodeStatus.DOWN;
            synchronized (lock) {
                Optional<NodeRecord> now = state.node(node.id());
                if (active == null && now.isPresent() && now.get().status() != status
                        && (now.get().status() == NodeStatus.UP || now.get().status() == NodeStatus.DOWN)) {
                    log.info("node {} is {}", node.id(), status);
                    commitQuietly(state.withNode(now.get().withStatus(status)));
                }
            }
        }
    }

    // ------------------------------------------------------------------------- helpers for steps

    NodeClient nodes() {
        return nodes;
    }

    Launcher launcher() {
        return launcher;
    }

    Settings settings() {
        return settings;
    }

    java.time.Instant now() {
        return clock.instant();
    }

    URI ecsUrl() {
        return ecsUrl;
    }

    HandoffDriver driver() {
        return driver;
    }

    /** The latest committed state, without waiting for the lock (heartbeats read it). */
    ClusterState state() {
        return state;
    }

    NodeRecord node(String id) {
        synchronized (lock) {
            return state.node(id).orElseThrow(() -> new OperationFailure("node " + id + " is no longer known"));
        }
    }

    /** Applies a change to the state and persists it; the state stays as it was if the disk refuses. */
    void update(UnaryOperator<ClusterState> change) {
        synchronized (lock) {
            commit(change.apply(state));
        }
    }

    /** Records an operation that an ECS restart interrupted as finished, as recovery decided. */
    void resolveInterrupted(OperationView done) {
        synchronized (lock) {
            commitQuietly(state.withOperation(done));
        }
        listener.finished(done);
    }

    void confirmed(String id, long epoch) {
        confirmedEpochs.merge(id, epoch, Math::max);
    }

    /** The epoch a node's heartbeat says it routes by: lower after a restart, so the tick pushes the ring again. */
    void reported(String id, long epoch) {
        confirmedEpochs.put(id, epoch);
    }

    void pause(Duration duration) {
        checkCancelled();
        try {
            pacer.pause(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OperationFailure("interrupted", e);
        }
    }

    /** Throws OperationFailure when a failover cancelled the ring change running on this thread. */
    private void checkCancelled() {
        OperationRun run = activeRun;
        if (run != null) {
            run.checkCancelled();
        }
    }

    // ------------------------------------------------------------------------ helpers for failover

    boolean started() {
        return ecsUrl != null;
    }

    /** Whether a RECOVER operation is queued or running. */
    boolean recovering() {
        synchronized (lock) {
            return active != null && state.operation(active).map(o -> o.kind() == OperationKind.RECOVER).orElse(false);
        }
    }

    /**
     * The epoch a new ring must exceed: the ring's, or the target of a ring change under way, so
     * that no two different rings ever carry the same epoch.
     */
    long epochFloor() {
        synchronized (lock) {
            long floor = state.ring().epoch();
            if (active != null) {
                floor = Math.max(floor, state.operation(active).map(OperationView::toEpoch).orElse(floor));
            }
            return floor;
        }
    }

    /** Cancels the ring change under way, if any; it stops at its next wait. */
    void cancelActive(String why) {
        OperationRun run = activeRun;
        if (run != null) {
            run.cancel(why);
        }
    }

    /** Runs {@code body} under the state lock. */
    <T> T locked(java.util.function.Supplier<T> body) {
        synchronized (lock) {
            return body.get();
        }
    }

    /**
     * Applies a change and persists it; then, still under the lock and only if it was saved, runs
     * {@code then}. The state stays as it was if the disk refuses.
     */
    void update(UnaryOperator<ClusterState> change, Runnable then) {
        synchronized (lock) {
            commit(change.apply(state));
            then.run();
        }
    }

    /** Like {@link #update}, but keeps the change in memory even if the disk refuses it. */
    void updateQuietly(UnaryOperator<ClusterState> change) {
        synchronized (lock) {
            commitQuietly(change.apply(state));
        }
    }

    long confirmedEpoch(String id) {
        return confirmedEpochs.getOrDefault(id, -1L);
    }

    void detected(Detection.Cause cause) {
        listener.detected(cause);
    }

    /** Guarded by lock. */
    private void commit(ClusterState next) {
        store.save(next);
        state = next;
    }

    /** Guarded by lock. Keeps the change in memory even if it cannot be persisted (health reports it). */
    private void commitQuietly(ClusterState next) {
        state = next;
        try {
            store.save(next);
        } catch (RuntimeException e) {
            log.error("cannot persist the ECS state", e);
        }
    }

    private String nextNodeId() {
        synchronized (lock) {
            int number = state.nextNodeNumber();
            while (state.node(NODE_ID_PREFIX + number).isPresent()) {
                number++;
            }
            commit(state.withNextNodeNumber(number + 1));
            return NODE_ID_PREFIX + number;
        }
    }

    private Set<Integer> portsTaken() {
        synchronized (lock) {
            Set<Integer> ports = new HashSet<>();
            state.nodes().forEach(n -> {
                ports.add(n.port());
                ports.add(n.restPort());
                if (n.respPort() > 0) {
                    ports.add(n.respPort());
                }
            });
            return ports;
        }
    }

    private static int nodeNumber(Member member) {
        String id = member.id();
        if (id.startsWith(NODE_ID_PREFIX)) {
            try {
                return Integer.parseInt(id.substring(NODE_ID_PREFIX.length()));
            } catch (NumberFormatException notNumbered) {
                return Integer.MIN_VALUE;
            }
        }
        return Integer.MIN_VALUE;
    }
}
