package io.ringkv.membership;

import io.ringkv.membership.MemberTable.Member;
import io.ringkv.membership.Message.Ack;
import io.ringkv.membership.Message.Gossip;
import io.ringkv.membership.Message.Nack;
import io.ringkv.membership.Message.Ping;
import io.ringkv.membership.Message.PingReq;
import io.ringkv.membership.Message.SyncReply;
import io.ringkv.membership.Message.SyncRequest;
import io.ringkv.membership.Update.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * One member's SWIM protocol with Lifeguard's refinements, as a deterministic state machine: the
 * inputs are {@link #handle} (a message arrived) and {@link #tick} (time passed), the outputs the
 * messages to send and the membership events, returned by each call. No threads, sockets, sleeps or
 * clocks inside: time comes in as {@code nowMs} (any monotonic milliseconds, never going back) and
 * randomness from the injected generator, so a seeded run replays exactly.
 *
 * <p>Each protocol period this member pings one member, taken round-robin from a list shuffled
 * every round. Without an ack within the probe timeout it asks {@code indirectChecks} others to
 * ping the target too (they answer nacks when the target stays silent); without any ack by the end
 * of the period it suspects the target. A suspected member refutes by announcing itself alive at a
 * higher incarnation; otherwise its suspicion times out (sooner the more members independently
 * confirm it) and it is declared dead. Membership news rides piggyback on every message, each item
 * a bounded number of times. The local health multiplier stretches this member's periods and
 * timeouts while it seems to be the slow one.
 *
 * <p>Delivery assumptions: none. Messages may be lost, duplicated, delayed or reordered; the
 * protocol degrades (slower detection, false suspicions that get refuted) but its state rules hold.
 * Callers must tick no later than {@link #nextTickAtMs()} for timeouts to be exact; ticking late is
 * taken as a stall of this member (see {@link #tick}).
 *
 * <p>Not thread-safe: one thread (the runner's, or the simulation's) drives it.
 */
public final class SwimCore {
    /** A message to send to an address. */
    public record Outgoing(Address to, Message message) {}

    /** What one call produced, in order. */
    public record Output(List<Outgoing> messages, List<MembershipEvent> events) {}

    /** Counts since the core started. */
    public record Stats(long probes, long probesFailed, long indirectProbes, long refutations,
            long forwardsRefused, long misdirectedPings, long stalls, long corrections, long gossipDropped,
            long membersIgnored) {}

    /** The probe of this period. */
    private static final class Probe {
        String targetId;
        int seq;
        long timeoutAtMs;
        boolean acked;
        boolean indirectSent;
        int nacksExpected;
        int nacks;
    }

    private final SwimConfig config;
    private final Endpoint self;
    private final RandomGenerator random;
    private final LocalHealth health;
    private final GossipQueue gossip;
    private final ProbeOrder order;
    private final MemberTable table;
    private final List<Outgoing> out = new ArrayList<>();
    private final List<MembershipEvent> events = new ArrayList<>();
    private final Forwards forwards;
    /** Syncs in progress: how many more pages to pull from each address. Bounded by {@link #SYNCS_MAX}. */
    private final Map<Address, Integer> syncPagesLeft = new LinkedHashMap<>();
    /**
     * Members asked for one page from the middle of their table: a reply that reaches the table's
     * end is followed by a page from its beginning, so that the table wraps around and the members
     * that sort first are as likely to be in a sync as any other (without it the first member was
     * never, and a dead view of one of the first few could outlast a healed partition by minutes).
     */
    private final Set<Address> syncWraps = new HashSet<>();
    private static final int SYNCS_MAX = 64;
    private static final int SEEDS_MAX = 64;
    private List<Address> seeds = List.of();
    private long incarnation;
    private boolean left;
    private Probe probe;
    private int nextSeq;
    private long nextProbeAtMs;
    private long nextSyncAtMs;
    private long nextJoinAtMs = Long.MAX_VALUE;
    private long nextTickAtMs;
    private long lastCallMs = Long.MIN_VALUE;
    private long probes;
    private long probesFailed;
    private long indirectProbes;
    private long refutations;
    private long misdirectedPings;
    private long stalls;
    /** How late the last stall made this member, in ms. */
    private long lastStallMs;
    /** Times another member declared this one dead or gone and this one had to come back. */
    private long deathsRefuted;
    /** Reports that this member is dead or gone, at any incarnation (older lives included). */
    private long deathsHeard;
    /** The highest incarnation at which this member was reported dead or gone; -1 for never. */
    private long deathIncarnationMax = -1;
    private long syncReplies;
    /** Rises whenever the member table, this member's incarnation or its sync count changes. */
    private long viewVersion;
    /** Newer news for the sender of the message being handled; see {@link #apply}. */
    private final Corrections corrections;

    public SwimCore(SwimConfig config, Endpoint self, RandomGenerator random, long nowMs) {
        this.config = config;
        this.self = self;
        this.random = random;
        this.health = new LocalHealth(config.healthMax());
        this.gossip = new GossipQueue(config.broadcastsMax());
        this.order = new ProbeOrder(random);
        this.table = new MemberTable(config, self.id(), order, gossip, events);
        this.forwards = new Forwards(config.forwardsMax());
        this.corrections = new Corrections(config.datagramBytesMax() / 4);
        // Start probing somewhere in the first period, so that members started together do not probe in step.
        this.nextProbeAtMs = nowMs + random.nextLong(config.periodMs());
        this.nextSyncAtMs = config.syncIntervalMs() == 0 ? Long.MAX_VALUE
                : nowMs + config.syncIntervalMs() / 2 + random.nextLong(config.syncIntervalMs());
        this.nextTickAtMs = nextProbeAtMs;
    }

    // ---- inputs ----

    /** Members known by configuration (a static peer list), taken as alive at incarnation 0. */
    public Output addMembers(Collection<Endpoint> known, long nowMs) {
        for (Endpoint endpoint : known) {
            if (!endpoint.id().equals(self.id())) {
                table.addKnown(endpoint, nowMs);
            }
        }
        viewVersion++;
        return output();
    }

    /**
     * Joins through {@code seedAddresses}: asks each for its member table (announcing this member),
     * and asks again every {@code joinRetryMs} while this member knows no live member.
     */
    public Output join(List<Address> seedAddresses, long nowMs) {
        seeds = List.copyOf(seedAddresses.subList(0, Math.min(seedAddresses.size(), SEEDS_MAX)));
        // Once in any case, even when a peer list made others known: their tables tell this member
        // what the cluster believes about it (dead, from before a restart?) before it acts.
        for (Address seed : seeds) {
            startSync(seed, "", config.membersMax());
        }
        nextJoinAtMs = table.liveCount() > 1 || seeds.isEmpty() ? Long.MAX_VALUE : nowMs + config.joinRetryMs();
        return output();
    }

    /**
     * Pulls the whole member table of every live member now, as a join does: for a caller that has
     * a sign that its view is behind (a peer routes by a newer ring computed from its own view).
     */
    public Output syncWithLive(long nowMs) {
        for (Member m : table.all().values()) {
            if (m.live()) {
                startSync(m.endpoint.address(), "", config.membersMax());
            }
        }
        return output();
    }

    /**
     * Announces that this member leaves, to a few members at once and piggybacked on whatever it
     * still sends. It stops probing; the runner should keep it running for a period or two so the
     * news spreads, then stop.
     */
    public Output leave(long nowMs) {
        if (!left) {
            left = true;
            gossip.offer(Update.left(self, incarnation));
            for (String id : order.pick(config.indirectChecks(), null, table::probeable)) {
                send(table.get(id).endpoint.address(), Gossip::new);
            }
        }
        return output();
    }

    /** A message from {@code from}: answers it, applies its gossip, and advances any probe it concerns. */
    public Output handle(Address from, Message message, long nowMs) {
        noticeStall(nowMs);
        corrections.take();
        for (Update update : message.gossip()) {
            apply(update, nowMs, true);
        }
        switch (message) {
            case Ping ping -> onPing(from, ping);
            case PingReq req -> onPingReq(from, req, nowMs);
            case Ack ack -> onAck(ack);
            case Nack nack -> {
                if (probe != null && nack.seq() == probe.seq && probe.nacks < probe.nacksExpected) {
                    probe.nacks++;
                }
            }
            case SyncRequest sync -> onSyncRequest(from, sync, nowMs);
            case SyncReply reply -> onSyncReply(from, reply, nowMs);
            case Gossip g -> {
                // Its updates were applied above; nothing to answer.
            }
        }
        if (!corrections.isEmpty()) {
            send(from, Gossip::new, corrections.take()); // no reply carried them
        }
        return output();
    }

    /**
     * Time passed: sends indirect probes, ends the period's probe and starts the next, times out
     * suspicions and nacks, and runs syncs and join retries that are due.
     *
     * <p>A tick more than a period after {@link #nextTickAtMs()} means this member was stalled (a GC
     * pause, SIGSTOP, a starved CPU): its open probe then proves nothing about the target, so it is
     * dropped rather than turned into a suspicion, suspicions are postponed by the stall (no
     * refutation could be heard meanwhile), and the stall counts against local health.
     */
    public Output tick(long nowMs) {
        noticeStall(nowMs);
        table.expireSuspicions(nowMs);
        expireForwards(nowMs);
        if (probe != null && !probe.acked && !probe.indirectSent && nowMs >= probe.timeoutAtMs) {
            probeIndirectly();
        }
        if (nowMs >= nextProbeAtMs) {
            endProbe(nowMs);
            if (!left) {
                startProbe(nowMs);
            } else {
                nextProbeAtMs = nowMs + config.periodMs();
            }
        }
        if (nowMs >= nextSyncAtMs) {
            syncWithSomeone();
            nextSyncAtMs = nowMs + health.scaleMs(config.syncIntervalMs());
        }
        if (nowMs >= nextJoinAtMs) {
            askSeeds(nowMs);
        }
        return output();
    }

    // ---- queries ----

    /** When {@link #tick} must next be called. */
    public long nextTickAtMs() {
        return nextTickAtMs;
    }

    public Endpoint self() {
        return self;
    }

    public long incarnation() {
        return incarnation;
    }

    /** The local health multiplier's score, 0 (healthy) to {@code healthMax}. */
    public int healthScore() {
        return health.score();
    }

    /** The members believed alive or suspected, this one not included, sorted by id. */
    public List<Endpoint> liveMembers() {
        List<Endpoint> live = new ArrayList<>(table.liveCount());
        for (Member m : table.all().values()) {
            if (m.live()) {
                live.add(m.endpoint);
            }
        }
        return live;
    }

    /**
     * How often another member declared this one dead (or gone) and this one refuted it, which
     * means the rest of the cluster went on without it for a while.
     */
    public long deathsRefuted() {
        return deathsRefuted;
    }

    /**
     * Reports heard that this member is dead or gone, at any incarnation: a member that just
     * restarted learns from them that the cluster went on without its previous life.
     */
    public long deathsHeard() {
        return deathsHeard;
    }

    /**
     * The highest incarnation at which another member reported this one dead or gone, -1 if none
     * did. A report can arrive after this member already refuted a suspicion at that incarnation
     * (and so needs no refutation), yet still means the others went on without it.
     */
    public long deathIncarnationMax() {
        return deathIncarnationMax;
    }

    /** Stalls noticed (see {@link #tick}) and how late the last one made this member, in ms. */
    public long stalls() {
        return stalls;
    }

    public long lastStallMs() {
        return lastStallMs;
    }

    /** State-sync replies received: at least one means this member has heard another's whole table. */
    public long syncReplies() {
        return syncReplies;
    }

    /** A number that rises whenever {@link #members()}, {@link #incarnation()} or the counts above change. */
    public long viewVersion() {
        return viewVersion;
    }

    /** What this member believes about every other member it knows, dead ones included, sorted by id. */
    public List<Update> members() {
        List<Update> all = new ArrayList<>(table.all().size());
        for (Member m : table.all().values()) {
            all.add(m.asUpdate());
        }
        return all;
    }

    /** What this member believes about {@code id} (never itself), or null when it does not know it. */
    public Update stateOf(String id) {
        Member m = table.get(id);
        return m == null ? null : m.asUpdate();
    }

    /** Updates waiting to be piggybacked. */
    public int gossipPending() {
        return gossip.size();
    }

    public Stats stats() {
        return new Stats(probes, probesFailed, indirectProbes, refutations, forwards.refused(), misdirectedPings,
                stalls, corrections.added(), gossip.dropped(), table.ignoredForRoom());
    }

    // ---- probing ----

    private void startProbe(long nowMs) {
        String target = order.next(table::probeable);
        long periodMs = health.scaleMs(config.periodMs());
        nextProbeAtMs = nowMs + periodMs;
        if (target == null) {
            return;
        }
        probes++;
        probe = new Probe();
        probe.targetId = target;
        probe.seq = nextSeq++;
        probe.timeoutAtMs = nowMs + health.scaleMs(config.probeTimeoutMs());
        int seq = probe.seq;
        Member member = table.get(target);
        // Lifeguard's buddy system: a suspect learns of its suspicion from the first probe, so it
        // can refute at once (or, if it did already, answer with the refutation). And the prober
        // names itself: a member that every copy of this one's join news missed learns of it from
        // its first probe (each member probes every other within a round), instead of only from a
        // state sync.
        Update prober = Update.alive(self, incarnation);
        List<Update> first = member.state == Kind.SUSPECT ? List.of(member.asUpdate(), prober) : List.of(prober);
        send(member.endpoint.address(), g -> new Ping(seq, target, g), first);
    }

    private void probeIndirectly() {
        probe.indirectSent = true;
        Member target = table.get(probe.targetId);
        if (target == null || !target.live()) {
            return;
        }
        List<String> helpers = order.pick(config.indirectChecks(), probe.targetId, table::probeable);
        probe.nacksExpected = helpers.size();
        indirectProbes += helpers.size();
        int seq = probe.seq;
        Endpoint endpoint = target.endpoint;
        for (String id : helpers) {
            send(table.get(id).endpoint.address(), g -> new PingReq(seq, endpoint, g));
        }
    }

    /**
     * The period is over. A failed probe raises the health score by the nacks that did not come
     * (the helpers answered nothing, so the trouble may be ours) or by one when nobody could help,
     * and suspects the target.
     */
    private void endProbe(long nowMs) {
        Probe ended = probe;
        probe = null;
        if (ended == null || ended.acked) {
            return;
        }
        probesFailed++;
        health.adjust(ended.nacksExpected > 0 ? ended.nacksExpected - ended.nacks : 1);
        table.probeFailed(ended.targetId, nowMs);
    }

    private void onPing(Address from, Ping ping) {
        if (!ping.targetId().equals(self.id())) {
            misdirectedPings++;
            return;
        }
        send(from, g -> new Ack(ping.seq(), g), corrections.take());
    }

    private void onPingReq(Address from, PingReq req, long nowMs) {
        if (req.target().id().equals(self.id())) {
            send(from, g -> new Ack(req.seq(), g));
            return;
        }
        int seq = nextSeq;
        if (!forwards.start(seq, new Forwards.Forward(from, req.seq(), nowMs + config.nackTimeoutMs(),
                nowMs + config.periodMs()))) {
            return;
        }
        nextSeq++;
        send(req.target().address(), g -> new Ping(seq, req.target().id(), g));
    }

    private void onAck(Ack ack) {
        if (probe != null && ack.seq() == probe.seq) {
            if (!probe.acked) {
                probe.acked = true;
                health.adjust(-1);
            }
            return;
        }
        Forwards.Forward forward = forwards.acked(ack.seq());
        if (forward != null) {
            send(forward.requester, g -> new Ack(forward.requesterSeq, g));
        }
    }

    /** Sends the nacks that are due and forgets forwards whose requester's period is over. */
    private void expireForwards(long nowMs) {
        for (Forwards.Forward forward : forwards.nacksDue(nowMs)) {
            send(forward.requester, g -> new Nack(forward.requesterSeq, g));
        }
    }

    // ---- news ----

    /**
     * Applies one update. News older than what this member knows means the sender missed the newer
     * one (a lost datagram, a retransmit limit reached before it): the newer one goes back to the
     * sender as a correction, so a member that missed a refutation learns it before its own
     * suspicion runs out, instead of declaring a live member dead.
     */
    private void apply(Update update, long nowMs, boolean gossipNewcomer) {
        if (!update.member().id().equals(self.id())) {
            Update newer = table.newerThan(update);
            if (newer != null) {
                corrections.add(newer);
                return;
            }
            Member before = table.get(update.member().id());
            Update down = before != null && !before.live() && update.kind() == Kind.ALIVE
                    && update.incarnation() > before.incarnation ? before.asUpdate() : null;
            table.apply(update, nowMs, gossipNewcomer);
            if (down != null) {
                // Back at a higher incarnation, perhaps without ever hearing that it was declared
                // dead (a pause that outlasted its suspicion, refuted on waking): tell it, because
                // the others went on without it, and a node learns from this that its data is stale.
                send(update.member().address(), Gossip::new, List.of(down));
            }
            return;
        }
        if (left) {
            return;
        }
        if (update.kind() == Kind.DEAD || update.kind() == Kind.LEFT) {
            deathsHeard++;
            deathIncarnationMax = Math.max(deathIncarnationMax, update.incarnation());
            viewVersion++;
        }
        if (update.incarnation() < incarnation) {
            corrections.add(Update.alive(self, incarnation));
            return;
        }
        if (update.kind() == Kind.ALIVE) {
            // Someone remembers us at a higher incarnation (from before a restart): go above it.
            if (update.incarnation() > incarnation) {
                incarnation = update.incarnation() + 1;
                viewVersion++;
                gossip.offer(Update.alive(self, incarnation));
            }
        } else if (update.incarnation() >= incarnation) {
            // Suspected, declared dead or said to have left: refute at a higher incarnation, which
            // overrides all of those. Having to means others found us slow, a sign of poor health.
            incarnation = update.incarnation() + 1;
            refutations++;
            viewVersion++;
            if (update.kind() == Kind.DEAD || update.kind() == Kind.LEFT) {
                // The others took this member out of the cluster: what it holds is stale from then on.
                deathsRefuted++;
            }
            health.adjust(1);
            gossip.offer(Update.alive(self, incarnation));
            corrections.add(Update.alive(self, incarnation));
        }
    }

    // ---- state sync ----

    private void askSeeds(long nowMs) {
        if (table.liveCount() > 1 || seeds.isEmpty()) {
            nextJoinAtMs = Long.MAX_VALUE;
            return;
        }
        for (Address seed : seeds) {
            startSync(seed, "", config.membersMax());
        }
        nextJoinAtMs = nowMs + config.joinRetryMs();
    }

    /** Pulls one page from a random member, dead ones included (they may be back, behind a healed partition). */
    private void syncWithSomeone() {
        if (table.all().isEmpty()) {
            return;
        }
        List<String> ids = new ArrayList<>(table.all().keySet());
        Member target = table.get(ids.get(random.nextInt(ids.size())));
        if (target.state == Kind.LEFT) {
            return;
        }
        // From a random place, so that single pages cover the whole table over time.
        if (startSync(target.endpoint.address(), ids.get(random.nextInt(ids.size())), 1)) {
            syncWraps.add(target.endpoint.address());
        }
    }

    /** Asks {@code to} for {@code pages} pages after {@code afterId}; false if too many syncs run. */
    private boolean startSync(Address to, String afterId, int pages) {
        if (syncPagesLeft.size() >= SYNCS_MAX && !syncPagesLeft.containsKey(to)) {
            return false;
        }
        syncPagesLeft.put(to, pages);
        syncWraps.remove(to);
        Update selfUpdate = Update.alive(self, incarnation);
        send(to, g -> new SyncRequest(selfUpdate, afterId, g));
        return true;
    }

    private void onSyncRequest(Address from, SyncRequest sync, long nowMs) {
        // A requester we hold as down at its own incarnation or above gets that as a correction, to refute.
        apply(sync.self(), nowMs, true);
        List<Update> first = corrections.take();
        // Room for the page: the limit less the header, the cursor (an id at most), the envelope
        // (tag and epoch) and the corrections.
        int reserved = MembershipCodec.HEADER_BYTES + 1 + 1 + Endpoint.ID_BYTES_MAX + MembershipCodec.updatesBytes(first);
        int bytesLeft = config.datagramBytesMax() - MembershipCodec.ENVELOPE_BYTES_MAX - reserved;
        MemberTable.Page page = table.page(sync.afterId(), Update.alive(self, incarnation), bytesLeft,
                config.updatesPerMessageMax());
        out.add(new Outgoing(from, new SyncReply(page.members(), page.nextAfterId(), first)));
    }

    private void onSyncReply(Address from, SyncReply reply, long nowMs) {
        syncReplies++;
        viewVersion++;
        for (Update update : reply.members()) {
            apply(update, nowMs, false);
        }
        Integer pagesLeft = syncPagesLeft.remove(from);
        boolean wraps = syncWraps.remove(from);
        if (pagesLeft != null && pagesLeft > 1 && !reply.nextAfterId().isEmpty() && !reply.members().isEmpty()) {
            startSync(from, reply.nextAfterId(), pagesLeft - 1);
        } else if (pagesLeft != null && wraps && reply.nextAfterId().isEmpty()) {
            startSync(from, "", 1); // the rest of the page, from the table's beginning
        }
        if (table.liveCount() > 1) {
            nextJoinAtMs = Long.MAX_VALUE;
        }
    }

    // ---- plumbing ----

    /**
     * Queues a message built by {@code build} around as much gossip as the datagram has room for.
     * The room is what the message takes without gossip subtracted from the limit, the envelope
     * (tag and epoch) always reserved.
     */
    private void send(Address to, Function<List<Update>, Message> build) {
        send(to, build, List.of());
    }

    /**
     * As {@link #send(Address, Function)}, with {@code first} ahead of the queued gossip, and one of
     * the suspicions running here, if any, behind it.
     *
     * <p>Why a suspicion is advertised for as long as it runs, beyond its retransmit limit: a member
     * that missed the refutation (all copies lost, or too few came while its own health stretched
     * its periods) would otherwise declare a live member dead when its suspicion runs out. Its
     * stale suspicion reaches members that heard the refutation, and they answer with a correction
     * (see {@link #apply}). It costs one update per message, and only while suspicions run.
     */
    private void send(Address to, Function<List<Update>, Message> build, List<Update> first) {
        int bareBytes = MembershipCodec.messageBytes(build.apply(List.of()));
        int roomBytes = config.datagramBytesMax() - MembershipCodec.ENVELOPE_BYTES_MAX - bareBytes;
        List<Update> updates = new ArrayList<>(first.size() + 1);
        Update suspicion = table.anySuspicion(random::nextInt);
        for (Update update : suspicion == null ? first : withLast(first, suspicion)) {
            int bytes = MembershipCodec.updateBytes(update);
            if (updates.size() < config.updatesPerMessageMax() && bytes <= roomBytes) {
                updates.add(update);
                roomBytes -= bytes;
            }
        }
        List<Update> queued = gossip.take(roomBytes, config.updatesPerMessageMax() - updates.size(),
                config.retransmitLimit(table.liveCount()));
        if (updates.isEmpty()) {
            updates = queued;
        } else {
            updates.addAll(queued);
        }
        out.add(new Outgoing(to, build.apply(updates)));
    }

    /** {@code updates} and then {@code last}, unless an update about the same member is there already. */
    private static List<Update> withLast(List<Update> updates, Update last) {
        for (Update update : updates) {
            if (update.member().id().equals(last.member().id())) {
                return updates;
            }
        }
        List<Update> all = new ArrayList<>(updates.size() + 1);
        all.addAll(updates);
        all.add(last);
        return all;
    }

    /**
     * A call more than a period after the tick was due, and after the last call, means this member
     * was stalled; later calls at the same time (datagrams that waited in the socket) are not.
     */
    private void noticeStall(long nowMs) {
        long lateMs = nowMs - Math.max(nextTickAtMs, lastCallMs);
        lastCallMs = Math.max(lastCallMs, nowMs);
        if (lateMs <= config.periodMs()) {
            return;
        }
        stalls++;
        lastStallMs = lateMs;
        viewVersion++;
        health.adjust(1);
        probe = null;
        table.postponeSuspicions(lateMs);
    }

    private Output output() {
        long next = Math.min(nextProbeAtMs, Math.min(nextSyncAtMs, nextJoinAtMs));
        if (probe != null && !probe.acked && !probe.indirectSent) {
            next = Math.min(next, probe.timeoutAtMs);
        }
        next = Math.min(next, table.nextDeadlineMs());
        next = Math.min(next, forwards.nextDueMs());
        nextTickAtMs = next;
        if (out.isEmpty() && events.isEmpty()) {
            return EMPTY;
        }
        if (!events.isEmpty()) {
            viewVersion++;
        }
        Output output = new Output(List.copyOf(out), List.copyOf(events));
        out.clear();
        events.clear();
        return output;
    }

    private static final Output EMPTY = new Output(List.of(), List.of());
}
