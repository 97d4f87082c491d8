package io.ringkv.node;

import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.membership.Address;
import io.ringkv.membership.Endpoint;
import io.ringkv.membership.MembershipView;
import io.ringkv.membership.SwimConfig;
import io.ringkv.membership.SwimRunner;
import io.ringkv.membership.Update;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gossip among the members of an ECS's ring ({@code ringkv.cluster.gossip}, on by default): the
 * ECS still decides every ring, but its members run the membership protocol among themselves,
 * which gives the ECS and the nodes three things heartbeats alone cannot.
 * <ul>
 *   <li><b>Suspicion from the peers' side.</b> Every heartbeat reports the members this node finds
 *       dead ({@link #dead}). A member that still reaches the ECS but that a majority of the ring
 *       finds dead is cut off from its peers, cannot replicate, and is failed over.
 *   <li><b>A way to the ECS around a broken link.</b> A node whose heartbeats go unanswered sends
 *       them through members it finds alive ({@link #relays}); see {@link EcsLink}.
 *   <li><b>Rings spread from peer to peer.</b> Every datagram carries the epoch its sender routes
 *       by; a node that hears a newer one asks that peer for its ring (GET_RING over the data
 *       plane) at once, instead of waiting for the ECS's push or its next heartbeat reply.
 * </ul>
 * Members are the ring's, each at its data port plus {@code gossipPortOffset}, under its node id;
 * a member that leaves the ring is left to the protocol (a retired process stops answering and is
 * found dead; nobody acts on that).
 *
 * <p>Thread-safe. The runner's thread calls in with what it heard and must never block: ring
 * pulls are asynchronous, one at a time, at most one per {@link #PULL_GAP_MS}.
 */
final class EcsGossip implements GossipMembership, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EcsGossip.class);
    /** Least time between two ring pulls started by gossip, so that a stream of newer epochs costs one pull. */
    static final long PULL_GAP_MS = 100;

    private final String selfId;
    private final int gossipPortOffset;
    private final ClusterState cluster;
    private final Peers peers;
    private final SwimRunner runner;
    private final long periodMs;
    /** Members handed to the runner so far, by id; touched under this object's lock. */
    private final Set<String> known = new HashSet<>();
    private boolean joined;
    /**
     * The other members of the current ring by their gossip address (host resolved once, when the
     * ring is adopted), so that the runner's thread finds the sender of a datagram without a lookup.
     */
    private volatile Map<Address, Member> byGossipAddress = Map.of();
    private final AtomicBoolean pulling = new AtomicBoolean();
    private final RateGate pullGate = new RateGate(TimeUnit.MILLISECONDS.toNanos(PULL_GAP_MS));
    private final RateGate refuteGate;
    private final AtomicLong ringsFromGossip = new AtomicLong();

    EcsGossip(String selfId, String bindHost, int selfPort, int gossipPortOffset, SwimConfig config, byte[] clusterKey,
            ClusterState cluster, Peers peers, SwimRunner.DatagramFilter filter) throws IOException {
        this.selfId = selfId;
        this.gossipPortOffset = gossipPortOffset;
        this.cluster = cluster;
        this.peers = peers;
        this.periodMs = config.periodMs();
        this.refuteGate = new RateGate(TimeUnit.MILLISECONDS.toNanos(periodMs));
        this.runner = SwimRunner.start(config, selfId,
                new InetSocketAddress(InetAddress.getByName(bindHost), selfPort + gossipPortOffset), clusterKey,
                event -> GossipMembership.log(log, event), RandomGenerator.of("L64X128MixRandom"));
        runner.filter(filter);
        runner.stampEpochs(new SwimRunner.EpochStamp() {
            @Override
            public long epoch() {
                return cluster.epoch();
            }

            @Override
            public void heard(InetSocketAddress from, long epoch) {
                if (epoch > cluster.epoch()) {
                    pullFrom(from);
                }
            }
        });
        cluster.onAdopted(this::follow);
        Ring ring = cluster.ring();
        if (ring != null) {
            follow(ring);
        }
    }

    /** Hands the ring's members the runner does not know yet to it, and joins through them the first time. */
    private synchronized void follow(Ring ring) {
        Map<Address, Member> others = new LinkedHashMap<>();
        List<Endpoint> added = new ArrayList<>();
        for (Member member : ring.members()) {
            if (member.id().equals(selfId)) {
                continue;
            }
            Address gossip = GossipMembership.gossipAddress(member.host(), member.port(), gossipPortOffset);
            others.put(gossip, member);
            if (known.add(member.id())) {
                added.add(new Endpoint(member.id(), gossip));
            }
        }
        byGossipAddress = Map.copyOf(others);
        if (added.isEmpty()) {
            return;
        }
        try {
            runner.addMembers(added);
            if (!joined) {
                runner.join(added.stream().map(Endpoint::address).toList());
                joined = true;
            }
        } catch (IllegalStateException busy) {
            // The runner's command queue is full: forget them, so that the next ring hands them over again.
            added.forEach(e -> known.remove(e.id()));
        }
    }

    /** A peer routes by a newer ring: ask it for that ring (its data port is its gossip port less the offset). */
    private void pullFrom(InetSocketAddress gossip) {
        if (!pullGate.tryPass() || !pulling.compareAndSet(false, true)) {
            return;
        }
        Member peer = peerAt(gossip);
        if (peer == null) {
            pulling.set(false);
            return;
        }
        try {
            peers.exchange(peer, KVRequest.newBuilder().setCommand(Command.GET_RING.code()).build())
                    .whenComplete((reply, failure) -> {
                        pulling.set(false);
                        if (failure != null) {
                            log.debug("ring pull from {} failed: {}", peer.id(), failure.toString());
                            return;
                        }
                        if (reply.getErrCode() != ErrorCode.SUCCESS.code() || !reply.hasRing()) {
                            return;
                        }
                        try {
                            Ring theirs = RingMessages.fromInfo(reply.getRing());
                            if (theirs.epoch() > cluster.epoch()
                                    && cluster.adoptFromPeer(theirs) == ClusterState.Adoption.ADOPTED) {
                                ringsFromGossip.incrementAndGet();
                                log.info("ring epoch {} from {}, whose gossip carried it", theirs.epoch(), peer.id());
                            }
                        } catch (IllegalArgumentException e) {
                            log.warn("{} sent an invalid ring: {}", peer.id(), e.getMessage());
                        }
                    });
        } catch (RuntimeException e) {
            pulling.set(false);
            log.debug("ring pull from {} not sent: {}", peer.id(), e.toString());
        }
    }

    /** The ring member gossiping from there; one not in this node's ring yet (a newcomer) gets a placeholder id. */
    private Member peerAt(InetSocketAddress gossip) {
        String host = gossip.getAddress().getHostAddress();
        Member member = byGossipAddress.get(new Address(host, gossip.getPort()));
        if (member != null) {
            return member;
        }
        int port = gossip.getPort() - gossipPortOffset;
        return port < 1 ? null : new Member("peer@" + host + ":" + port, host, port, 0);
    }

    /**
     * The ECS says that members find this node dead though it runs (a suspicion whose refutation
     * was lost, or a partition that healed): it asks every ring member for its table at once, and
     * refutes what it learns, instead of waiting for the periodic sync. At most once a period.
     */
    void refute(String foundDeadBy) {
        List<Address> everyone = List.copyOf(byGossipAddress.keySet());
        if (everyone.isEmpty() || !refuteGate.tryPass()) {
            return;
        }
        log.info("the ECS says {} find this node dead: asking every member for its table to refute it", foundDeadBy);
        try {
            runner.join(everyone);
        } catch (IllegalStateException busy) {
            // The runner's command queue is full; the next heartbeat reply asks again.
        }
    }

    /** Members of the current ring this node's gossip finds dead (suspicion ran out, or they left). */
    List<String> dead() {
        return inRing(Update.Kind.DEAD, Update.Kind.LEFT);
    }

    /** Members of the current ring this node's gossip finds alive (not merely not dead): relay candidates. */
    List<Member> relays() {
        Ring ring = cluster.ring();
        if (ring == null) {
            return List.of();
        }
        Set<String> alive = new HashSet<>(inRing(Update.Kind.ALIVE));
        return ring.members().stream().filter(m -> alive.contains(m.id())).toList();
    }

    private List<String> inRing(Update.Kind... kinds) {
        Ring ring = cluster.ring();
        if (ring == null) {
            return List.of();
        }
        Set<Update.Kind> wanted = Set.of(kinds);
        Set<String> members = new HashSet<>();
        ring.members().forEach(m -> members.add(m.id()));
        List<String> ids = new ArrayList<>();
        for (Update update : runner.view().members()) {
            if (wanted.contains(update.kind()) && members.contains(update.member().id())) {
                ids.add(update.member().id());
            }
        }
        return ids;
    }

    @Override
    public MembershipView view() {
        return runner.view();
    }

    @Override
    public SwimRunner.Stats stats() {
        return runner.stats();
    }

    /** Always: the ECS decides when a node takes part. */
    @Override
    public boolean bootstrapped() {
        return true;
    }

    @Override
    public long ringsFromGossip() {
        return ringsFromGossip.get();
    }

    /** Announces that this node leaves, and stops gossiping two periods later, as {@link PeerMembership} does. */
    @Override
    public void close() {
        try {
            runner.leave();
            Thread.sleep(2 * periodMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException busy) {
            // The runner's command queue is full: it stops without announcing, as a crash.
        } finally {
            runner.close();
        }
    }
}
