package io.ringkv.ecs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who still heartbeats: the ECS's table of nodes, each with the incarnation (process) it last
 * heard from, when, and at which ring epoch. A ring member not heard from for {@code timeout} is
 * silent; {@link #declare} marks it failed, and from then on its heartbeats are recorded (so that
 * it can be re-admitted) but never renew a lease. A heartbeat under a new incarnation from a member
 * not declared failed marks a restart, which the caller fences with a new epoch.
 *
 * <p>Why a lease and a declaration can never overlap: a node's lease runs from the moment it
 * <em>sent</em> a heartbeat the ECS acknowledged, for {@code timeout / 2}; the ECS declares only
 * {@code timeout} after it <em>received</em> the last one, later still. The grant of a lease (in
 * {@link #heartbeat}) and the declaration are serialized here, so no lease is granted once a node is
 * declared.
 *
 * <p>The ECS's own stalls (a long GC pause, a starved CPU) must not look like silence of the nodes:
 * heartbeats wait in sockets meanwhile. When the rounds come further apart than twice their
 * interval, every node's silence is shortened by the gap. That only ever delays a declaration.
 *
 * <p>Pure: time comes in as arguments; no threads, no I/O. Thread-safe: heartbeats arrive on
 * request threads while a round runs on its own; every method is short and synchronized.
 */
final class FailureDetector {
    private final Duration timeout;
    private final Duration roundInterval;
    private final Map<String, Peer> peers = new HashMap<>();
    /** When {@link #silent} last ran, to notice the ECS's own stalls. */
    private Instant lastRound;

    private static final class Peer {
        /** The process heard from last; null until a heartbeat arrives (or a persisted one is known). */
        String incarnation;
        /** The last heartbeat, or when watching began (a grace of one timeout for a new member). */
        Instant lastHeard;
        boolean heard;
        long epoch = -1;
        boolean declared;
        /** A new incarnation heard from a member not declared failed, not fenced yet. */
        Restart restart;
    }

    /** What a heartbeat found: whether the node is declared failed, or restarted and not fenced yet. */
    record Beat(boolean declared, boolean restartPending) {}

    /** A member not heard from for a timeout: the process last heard and when. */
    record Silent(String id, String incarnation, Instant lastHeard) {}

    /** A member heard from under a new incarnation at {@code heardAt}, before it was declared failed. */
    record Restart(String id, String previous, String incarnation, Instant heardAt) {}

    /**
     * @param timeout silence after which a member is declared failed
     * @param roundInterval how often {@link #silent} is called; gaps over twice that are the ECS's stalls
     */
    FailureDetector(Duration timeout, Duration roundInterval) {
        if (timeout.isNegative() || timeout.isZero() || roundInterval.isNegative() || roundInterval.isZero()) {
            throw new IllegalArgumentException("timeout and round interval must be positive");
        }
        this.timeout = timeout;
        this.roundInterval = roundInterval;
    }

    Duration timeout() {
        return timeout;
    }

    /** The lease a node may hold after each acknowledged heartbeat: half the timeout. */
    Duration lease() {
        return timeout.dividedBy(2);
    }

    /**
     * Records a heartbeat.
     *
     * @param persisted the incarnation the ECS persisted for the node, used when this table has
     *     not heard from it yet (after an ECS restart); null when none is known
     */
    synchronized Beat heartbeat(String id, String incarnation, long epoch, String persisted, Instant now) {
        Peer peer = peers.computeIfAbsent(id, k -> new Peer());
        String known = peer.incarnation != null ? peer.incarnation : persisted;
        if (!peer.declared && known != null && !known.equals(incarnation)) {
            // A second restart before the first was fenced keeps the first's time: the fence covers both.
            Instant since = peer.restart != null ? peer.restart.heardAt() : now;
            String previous = peer.restart != null ? peer.restart.previous() : known;
            peer.restart = new Restart(id, previous, incarnation, since);
        }
        peer.incarnation = incarnation;
        peer.lastHeard = now;
        peer.heard = true;
        peer.epoch = epoch;
        return new Beat(peer.declared, peer.restart != null);
    }

    /**
     * Starts watching members not tracked yet (their silence counts from {@code now}), and takes
     * members that were declared failed and are in the ring again (re-admitted) back as live.
     */
    synchronized void watch(Collection<String> members, Instant now) {
        for (String id : members) {
            Peer peer = peers.computeIfAbsent(id, k -> new Peer());
            if (peer.lastHeard == null) {
                peer.lastHeard = now;
            }
            peer.declared = false;
        }
    }

    /** Forgets nodes the ECS no longer knows. */
    synchronized void retain(Set<String> known) {
        peers.keySet().retainAll(known);
    }

    /**
     * The members (of those given) not heard from for the timeout and not declared yet. Called once
     * per round: a gap between rounds longer than twice the interval is taken as the ECS's own stall
     * and shortens every silence by it.
     */
    synchronized List<Silent> silent(Collection<String> members, Instant now) {
        if (lastRound != null) {
            Duration gap = Duration.between(lastRound, now);
            if (gap.compareTo(roundInterval.multipliedBy(2)) > 0) {
                Duration stall = gap.minus(roundInterval);
                for (Peer peer : peers.values()) {
                    if (peer.lastHeard != null) {
                        Instant shifted = peer.lastHeard.plus(stall);
                        peer.lastHeard = shifted.isAfter(now) ? now : shifted;
                    }
                }
            }
        }
        lastRound = now;
        List<Silent> silent = new ArrayList<>();
        for (String id : members) {
            Peer peer = peers.get(id);
            if (peer != null && !peer.declared && isSilent(peer, now)) {
                silent.add(new Silent(id, peer.incarnation, peer.lastHeard));
            }
        }
        return silent;
    }

    /**
     * Declares failed those of {@code ids} that are still silent now (a heartbeat may have arrived
     * since {@link #silent}), and returns them. From here on they get no lease.
     */
    synchronized List<Silent> declare(Collection<String> ids, Instant now) {
        List<Silent> declared = new ArrayList<>();
        for (String id : ids) {
            Peer peer = peers.get(id);
            if (peer != null && !peer.declared && isSilent(peer, now)) {
                peer.declared = true;
                peer.restart = null;
                declared.add(new Silent(id, peer.incarnation, peer.lastHeard));
            }
        }
        return declared;
    }

    /** Takes back a declaration that could not be acted on (the new ring was not persisted). */
    synchronized void undeclare(Collection<String> ids) {
        for (String id : ids) {
            Peer peer = peers.get(id);
            if (peer != null) {
                peer.declared = false;
            }
        }
    }

    /** Restarts heard and not fenced yet. */
    synchronized List<Restart> restarts() {
        return peers.values().stream().filter(p -> p.restart != null).map(p -> p.restart).toList();
    }

    /** The restart is fenced (or needs no fence: the node is not a member): its lease may be granted again. */
    synchronized void fenced(String id, String incarnation) {
        Peer peer = peers.get(id);
        if (peer != null && peer.restart != null && peer.restart.incarnation().equals(incarnation)) {
            peer.restart = null;
        }
    }

    /** Whether a heartbeat arrived within the timeout: for a node declared failed, that it is back. */
    synchronized boolean alive(String id, Instant now) {
        Peer peer = peers.get(id);
        return peer != null && peer.heard && !isSilent(peer, now);
    }

    /** Whether the member was heard from within the timeout and is not declared failed. */
    synchronized boolean isLive(String id, Instant now) {
        Peer peer = peers.get(id);
        return peer != null && peer.heard && !peer.declared && !isSilent(peer, now);
    }

    /** Members (of those given) heard from within the timeout and not declared failed. */
    synchronized int live(Collection<String> members, Instant now) {
        int live = 0;
        for (String id : members) {
            Peer peer = peers.get(id);
            if (peer != null && peer.heard && !peer.declared && !isSilent(peer, now)) {
                live++;
            }
        }
        return live;
    }

    /** The incarnation last heard from the node, if any. */
    synchronized Optional<String> incarnation(String id) {
        Peer peer = peers.get(id);
        return Optional.ofNullable(peer == null ? null : peer.incarnation);
    }

    /** Time since the node's last heartbeat, if one arrived. */
    synchronized Optional<Duration> sinceHeard(String id, Instant now) {
        Peer peer = peers.get(id);
        return peer == null || !peer.heard ? Optional.empty() : Optional.of(Duration.between(peer.lastHeard, now));
    }

    private boolean isSilent(Peer peer, Instant now) {
        return peer.lastHeard != null && Duration.between(peer.lastHeard, now).compareTo(timeout) >= 0;
    }
}
