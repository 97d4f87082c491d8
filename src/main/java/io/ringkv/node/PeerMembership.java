package io.ringkv.node;

import io.ringkv.cluster.ClusterState;
import io.ringkv.membership.Address;
import io.ringkv.membership.Endpoint;
import io.ringkv.membership.MembershipView;
import io.ringkv.membership.SwimConfig;
import io.ringkv.membership.SwimRunner;
import io.ringkv.replication.CatchUp;
import io.ringkv.ring.Ring;
import io.ringkv.storage.StorageEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of a cluster without an ECS ({@code ringkv.cluster.peers}): it runs the
 * membership protocol on its own UDP port, and turns each membership view into the ring it routes
 * by ({@link MembershipRing}), on a thread of its own.
 *
 * <p>Whether its data is current is decided here, before it takes part:
 * <ul>
 *   <li><b>Start-up.</b> It serves nothing until it has heard every other member's table, or
 *       {@code bootstrapWait} has passed (a cluster starting cold). If any of them reports it dead,
 *       the cluster went on without its previous life: its data is stale and is dropped, and it
 *       pulls what it leads ({@link CatchUp}). Otherwise (a cold start of the whole cluster, or a
 *       restart quicker than detection, which under write-all missed no acknowledged write) it
 *       keeps its data.
 *   <li><b>Running.</b> Declared dead and refuting it (a pause, a partition) means the same: the
 *       others wrote without it. It first adopts the ring they used, without itself, drops its
 *       data, and only then the ring with itself, whose ranges it pulls.
 * </ul>
 * It takes no ring from its peers ({@link ClusterState#fromMembership}), so nothing reaches its
 * storage while its data is being dropped: pushes at a newer ring are refused and retried.
 */
final class PeerMembership implements GossipMembership, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerMembership.class);
    /** Longest the node waits for its dropped data to be gone before it pulls anyway. */
    private static final Duration DROP_WAIT = Duration.ofSeconds(60);

    private final String selfId;
    private final List<String> peers;
    private final ClusterState cluster;
    private final StorageEngine storage;
    private final CatchUp catchUp;
    private final BooleanSupplier dropping;
    private final int vnodes;
    private final int replicationFactor;
    private final long bootstrapDeadlineNanos;
    private final long periodMs;
    private final long bootstrapWaitNanos;
    private final long stallHoldMs;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-membership-ring").factory());
    private final AtomicReference<MembershipView> latest = new AtomicReference<>();
    private final AtomicBoolean queued = new AtomicBoolean();
    /** At most one sync asked for a newer peer ring each period. */
    private final RateGate syncAsked;
    private final SwimRunner runner;
    // Touched only on the worker.
    private volatile boolean bootstrapped;
    /** Reports of this node's death at this incarnation or above are about its current life. */
    private long lifeFloor;
    private long stallsSeen;
    private boolean holding;
    private long syncRepliesAtHold;
    private long holdDeadlineNanos;

    /** A parsed peer list: every member's id (its data address as written) and this node's. */
    record PeerList(List<String> ids, String selfId) {}

    PeerMembership(PeerList list, String bindHost, int gossipPortOffset, SwimConfig config, byte[] clusterKey,
            Duration bootstrapWait, ClusterState cluster, StorageEngine storage, CatchUp catchUp,
            BooleanSupplier dropping, int vnodes, int replicationFactor, SwimRunner.DatagramFilter filter)
            throws IOException {
        this.selfId = list.selfId();
        this.peers = list.ids();
        this.cluster = cluster;
        this.storage = storage;
        this.catchUp = catchUp;
        this.dropping = dropping;
        this.vnodes = vnodes;
        this.replicationFactor = replicationFactor;
        this.bootstrapDeadlineNanos = System.nanoTime() + bootstrapWait.toNanos();
        this.periodMs = config.periodMs();
        this.syncAsked = new RateGate(TimeUnit.MILLISECONDS.toNanos(periodMs));
        this.bootstrapWaitNanos = Math.max(bootstrapWait.toNanos(), TimeUnit.MILLISECONDS.toNanos(4 * periodMs));
        // A stall shorter than the shortest suspicion cannot have got this node declared dead.
        this.stallHoldMs = config.suspicionMinMs(list.ids().size());
        int selfPort = Address.parse(selfId).port();
        this.runner = SwimRunner.start(config, selfId,
                new InetSocketAddress(InetAddress.getByName(bindHost), selfPort + gossipPortOffset), clusterKey,
                event -> GossipMembership.log(log, event), this::onView, RandomGenerator.of("L64X128MixRandom"));
        runner.filter(filter);
        List<Endpoint> others = new ArrayList<>();
        List<Address> seeds = new ArrayList<>();
        for (String id : peers) {
            if (!id.equals(selfId)) {
                Address gossip = gossipAddress(id, gossipPortOffset);
                others.add(new Endpoint(id, gossip));
                seeds.add(gossip);
            }
        }
        runner.addMembers(others);
        runner.join(seeds);
        cluster.onNewerPeerRing(this::onNewerPeerRing);
        worker.schedule(this::apply, bootstrapWait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * memberlist's LAN timings scaled to {@code period} (1 s there), except the periodic state sync:
     * every 10 periods instead of 30, since the ring's epoch counts every member's incarnation and
     * a member that missed a bump routes by another epoch until it hears of it.
     */
    static SwimConfig config(Duration period) {
        long p = period.toMillis();
        SwimConfig d = SwimConfig.defaults();
        return new SwimConfig(p, Math.max(1, p / 2), d.indirectChecks(), Math.max(1, p * 2 / 5), d.suspicionMult(),
                d.suspicionMaxMult(), d.suspicionConfirmations(), d.retransmitMult(), d.healthMax(),
                d.datagramBytesMax(), d.updatesPerMessageMax(), d.membersMax(), d.broadcastsMax(), d.forwardsMax(),
                10 * p, 2 * p);
    }

    /**
     * Reads {@code ringkv.cluster.peers}: {@code host:port} entries separated by commas, or the path
     * of a file with one per line (blank lines and {@code #} comments skipped). This node is the entry
     * whose address and port are its own.
     */
    static PeerList parse(String value, String host, int port) {
        List<String> entries = new ArrayList<>();
        String trimmed = value.trim();
        boolean file = !trimmed.contains(",") && !looksLikeAddress(trimmed);
        if (file) {
            try {
                for (String line : Files.readAllLines(Path.of(trimmed), StandardCharsets.UTF_8)) {
                    String entry = line.strip();
                    if (!entry.isEmpty() && !entry.startsWith("#")) {
                        entries.add(entry);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("ringkv.cluster.peers: cannot read the peer file " + trimmed, e);
            }
        } else {
            for (String part : trimmed.split(",")) {
                if (!part.isBlank()) {
                    entries.add(part.strip());
                }
            }
        }
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(entries));
        String self = null;
        for (String id : ids) {
            Address address;
            try {
                address = Address.parse(id);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ringkv.cluster.peers: " + e.getMessage());
            }
            if (address.port() == port && sameHost(address.host(), host)) {
                self = id;
            }
        }
        if (self == null) {
            throw new IllegalArgumentException("ringkv.cluster.peers does not list this node (" + host + ":" + port
                    + "): " + ids);
        }
        return new PeerList(List.copyOf(ids), self);
    }

    private static boolean looksLikeAddress(String value) {
        int colon = value.lastIndexOf(':');
        return colon > 0 && value.substring(colon + 1).chars().allMatch(Character::isDigit)
                && !value.substring(colon + 1).isEmpty();
    }

    private static boolean sameHost(String a, String b) {
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (UnknownHostException e) {
            return a.equals(b);
        }
    }

    private static Address gossipAddress(String id, int offset) {
        Address data = Address.parse(id);
        return GossipMembership.gossipAddress(data.host(), data.port(), offset);
    }

    String selfId() {
        return selfId;
    }

    @Override
    public MembershipView view() {
        return runner.view();
    }

    @Override
    public SwimRunner.Stats stats() {
        return runner.stats();
    }

    @Override
    public boolean bootstrapped() {
        return bootstrapped;
    }

    /** None: this node computes its rings from its membership view. */
    @Override
    public long ringsFromGossip() {
        return 0;
    }

    /**
     * A peer routes by a newer ring: it has heard news this node has not (an incarnation bump of a
     * live member travels by gossip a bounded number of times and may be missed). Pull the live
     * members' tables at once instead of waiting for the periodic sync; at most once a period.
     */
    private void onNewerPeerRing(Ring theirs) {
        if (syncAsked.tryPass()) {
            try {
                runner.syncWithLive();
            } catch (IllegalStateException busy) {
                // The runner's command queue is full; the next sign asks again.
            }
        }
    }

    /** On the runner's thread: hands the view to the worker, which takes the latest. */
    private void onView(MembershipView view) {
        latest.set(view);
        if (queued.compareAndSet(false, true)) {
            worker.execute(() -> {
                queued.set(false);
                apply();
            });
        }
    }

    private void apply() {
        MembershipView view = latest.get();
        if (view == null) {
            view = runner.view();
        }
        try {
            if (!bootstrapped) {
                if (view.syncReplies() < peers.size() - 1 && System.nanoTime() - bootstrapDeadlineNanos < 0) {
                    return; // the scheduled deadline applies it again
                }
                bootstrapped = true;
                log.info("membership: heard {} member tables; {} of {} members alive", view.syncReplies(),
                        view.liveCount(), peers.size());
                if (view.deathsHeard() > 0) {
                    rejoin(view, "the cluster declared this node dead before it restarted");
                }
                lifeFloor = view.incarnation();
                stallsSeen = view.stalls(); // those of its start-up prove nothing
            } else if (holding || (view.stalls() > stallsSeen && view.lastStallMs() >= stallHoldMs)) {
                // Stalled for longer than a suspicion lasts: it may have been declared dead, and
                // the news may arrive after its own refutation. Serve nothing and adopt no ring
                // until it has heard the live members' tables (or the bootstrap wait is over).
                if (!holding) {
                    holding = true;
                    stallsSeen = view.stalls();
                    syncRepliesAtHold = view.syncReplies();
                    holdDeadlineNanos = System.nanoTime() + bootstrapWaitNanos;
                    catchUp.hold();
                    runner.syncWithLive();
                    worker.schedule(this::apply, bootstrapWaitNanos, TimeUnit.NANOSECONDS);
                    log.warn("this node stalled for {} ms: serving nothing until it has heard the others",
                            view.lastStallMs());
                }
                if (view.syncReplies() - syncRepliesAtHold < view.liveCount() - 1
                        && System.nanoTime() - holdDeadlineNanos < 0) {
                    return;
                }
                holding = false;
                if (view.deathIncarnationMax() >= lifeFloor) {
                    lifeFloor = view.incarnation();
                    rejoin(view, "the cluster declared this node dead while it was stalled");
                }
                catchUp.release();
            } else if (view.deathIncarnationMax() >= lifeFloor) {
                // A death at an incarnation of this life: whether or not this member had refuted a
                // suspicion at that incarnation first, the others went on without it.
                lifeFloor = view.incarnation();
                rejoin(view, "the cluster declared this node dead while it ran (a pause or a partition)");
            }
            int live = view.liveCount();
            cluster.lease().quorum(2 * live > peers.size(), live + " of the " + peers.size()
                    + " members are alive in this node's view, not a majority: it may be on the minority side of a"
                    + " partition");
            Ring ring = MembershipRing.of(view, vnodes, replicationFactor);
            if (ring.epoch() > cluster.epoch()) {
                ClusterState.Adoption adoption = cluster.adopt(ring);
                if (adoption == ClusterState.Adoption.ADOPTED) {
                    log.info("ring epoch {} from membership: {} members", ring.epoch(), ring.members().size());
                }
            } else if (catchUp.rangesPending() < 0) {
                // Stale, and no newer ring to adopt: pull by the current one.
                catchUp.onRingAdopted(cluster.ring());
            }
        } catch (RuntimeException e) {
            log.error("membership view not applied", e);
        }
    }

    /** The others went on without this node: drop its data, then come back as a newcomer. */
    private void rejoin(MembershipView view, String why) {
        log.warn("{}: dropping this node's data, then pulling what it leads from the others", why);
        catchUp.expectStale();
        Ring without = MembershipRing.withoutSelf(view, vnodes, replicationFactor);
        if (!without.isEmpty() && without.epoch() > cluster.epoch()) {
            cluster.adopt(without);
        }
        storage.wipe().toCompletableFuture().join();
        long deadline = System.nanoTime() + DROP_WAIT.toNanos();
        while (dropping.getAsBoolean() && System.nanoTime() - deadline < 0) {
            sleepMs(10);
        }
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Announces that this node leaves and stops gossiping two periods later, so that the others
     * take it out of the ring at once instead of after a suspicion timeout. (When it starts again
     * it is a newcomer: the cluster went on without it.)
     */
    @Override
    public void close() {
        worker.shutdownNow();
        try {
            runner.leave();
            sleepMs(2 * periodMs);
        } finally {
            runner.close();
        }
    }
}
