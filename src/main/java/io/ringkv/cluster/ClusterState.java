package io.ringkv.cluster;

import io.ringkv.ring.Ring;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ring this node routes by, and who it is on it. A lone node (no ECS) has no ring and owns
 * every key. A node that belongs to a cluster but has no ring yet (just started, its ECS not heard
 * from) owns nothing: it must not take writes that the ring gives to another node. Rings only move
 * forward: a snapshot is adopted only when its epoch is higher than the current one, so a late or
 * repeated push is harmless.
 *
 * <p>A cluster member acts as owner of its keys only while it holds a {@link Lease} from its ECS
 * (renewed by heartbeats, which carry this process's {@link #incarnation()}); a lone node needs none.
 *
 * <p>Thread-safe. Listeners run on the adopting thread, after the new ring is visible, in
 * registration order; they must not block for long.
 */
public final class ClusterState {
    private static final Logger log = LoggerFactory.getLogger(ClusterState.class);
    private final String selfId;
    private final boolean clustered;
    /** Whether rings may come from peers (ECS mode) or only from this node's membership view. */
    private final boolean peerRings;
    private final String incarnation = newIncarnation();
    private final Lease lease;
    private final List<Consumer<Ring>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Ring>> newerPeerRings = new CopyOnWriteArrayList<>();
    private volatile Ring ring;

    /**
     * @param clustered whether the node belongs to a cluster (has an ECS), so that it waits for a
     *     ring instead of owning every key
     * @param known the ring it last knew (persisted across restarts), or null
     */
    public ClusterState(String selfId, boolean clustered, Ring known) {
        this(selfId, clustered, known, clustered ? Lease.fromEcs(System::nanoTime) : Lease.notRequired());
    }

    /** As above, with the lease given (tests drive its clock). */
    public ClusterState(String selfId, boolean clustered, Ring known, Lease lease) {
        this(selfId, clustered, known, lease, true);
    }

    private ClusterState(String selfId, boolean clustered, Ring known, Lease lease, boolean peerRings) {
        this.selfId = selfId;
        this.clustered = clustered;
        this.ring = known;
        this.lease = lease;
        this.peerRings = peerRings;
    }

    /**
     * A member of a cluster without an ECS: it computes its rings from its own membership view,
     * which alone decides when its data is current (see {@code PeerMembership}), so it takes no ring
     * from a peer ({@link #adoptFromPeer}); its lease is a majority of the cluster in that view
     * ({@link Lease#byQuorum()}).
     */
    public static ClusterState fromMembership(String selfId) {
        return new ClusterState(selfId, true, null, Lease.byQuorum(), false);
    }

    /** A lone node: no ECS, no ring, every key its own. */
    public ClusterState(String selfId) {
        this(selfId, false, null);
    }

    /** True while a cluster member has no ring to route by: it can serve no key yet. */
    public boolean awaitingRing() {
        return clustered && ring == null;
    }

    public String selfId() {
        return selfId;
    }

    /**
     * This process's name in heartbeats: chosen at start, so that the ECS tells a restarted node
     * (which must be fenced with a new epoch) from one that kept running.
     */
    public String incarnation() {
        return incarnation;
    }

    public Lease lease() {
        return lease;
    }

    /** Whether this node may act as owner of its keys now (always, for a lone node). */
    public boolean leaseValid() {
        return lease.valid();
    }

    /** The current ring, or null when this node has none. */
    public Ring ring() {
        return ring;
    }

    /** The current epoch, 0 without a ring. */
    public long epoch() {
        Ring current = ring;
        return current == null ? 0 : current.epoch();
    }

    /** Members this node knows: the ring's, or 1 (itself) without a ring. */
    public int membershipCount() {
        Ring current = ring;
        return current == null || current.isEmpty() ? 1 : current.members().size();
    }

    /** Result of {@link #adopt}. */
    public enum Adoption {
        ADOPTED,
        /** The node already routes by this epoch. */
        SAME,
        /** The node already routes by a newer epoch; nothing changed. */
        STALE,
        /**
         * The ring keeps another number of copies than the node's: a cluster's replication factor
         * is fixed, and following such a ring would drop replicas; nothing changed.
         */
        REFUSED,
        /** This node takes rings only from its own membership view; nothing changed. */
        NOT_FROM_PEERS
    }

    /**
     * A ring a peer or the ECS sent: adopted as by {@link #adopt}, unless this node computes its
     * rings itself from its membership view.
     */
    public Adoption adoptFromPeer(Ring next) {
        if (peerRings) {
            return adopt(next);
        }
        Ring current = ring;
        if (current == null || next.epoch() > current.epoch()) {
            for (Consumer<Ring> listener : newerPeerRings) {
                listener.accept(next);
            }
        }
        return Adoption.NOT_FROM_PEERS;
    }

    /**
     * Told when a peer shows a newer ring that this node, computing its rings from its membership,
     * does not adopt: a sign that its view is behind. Runs on the caller's thread; must not block.
     */
    public void onNewerPeerRing(Consumer<Ring> listener) {
        newerPeerRings.add(listener);
    }

    public Adoption adopt(Ring next) {
        synchronized (this) {
            Ring current = ring;
            if (current != null && next.epoch() == current.epoch()) {
                return Adoption.SAME;
            }
            if (current != null && next.epoch() < current.epoch()) {
                return Adoption.STALE;
            }
            if (current != null && !current.isEmpty() && next.replicationFactor() != current.replicationFactor()) {
                log.error("refused ring epoch {}: it keeps {} copies of every key, this cluster {}", next.epoch(),
                        next.replicationFactor(), current.replicationFactor());
                return Adoption.REFUSED;
            }
            ring = next;
        }
        for (Consumer<Ring> listener : listeners) {
            listener.accept(next);
        }
        return Adoption.ADOPTED;
    }

    public void onAdopted(Consumer<Ring> listener) {
        listeners.add(listener);
    }

    /** Start time (base 36 milliseconds) and 32 random bits: unique across restarts of one node. */
    private static String newIncarnation() {
        return Long.toString(System.currentTimeMillis(), 36) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
