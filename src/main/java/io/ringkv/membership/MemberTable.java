package io.ringkv.membership;

import io.ringkv.membership.Update.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What this member believes about every other one, and the rules by which news changes it (see
 * {@link Update} for the ordering). Every accepted change is reported as an event and queued for
 * gossip; news that changes nothing is neither, which is what stops an epidemic.
 *
 * <p>Bounded: at most {@code membersMax - 1} others; a newcomer beyond that takes the place of the
 * member dead or left the longest, or is ignored when there is none. Not thread-safe; owned by the
 * protocol core.
 */
final class MemberTable {
    /** One member as seen from here. Its state is the kind of the last update accepted about it. */
    static final class Member {
        Endpoint endpoint;
        Kind state;
        long incarnation;
        /** Who raised the current SUSPECT, DEAD or LEFT. */
        String accuser;
        long sinceMs;
        /** Running while SUSPECT, null otherwise. */
        Suspicion suspicion;

        Update asUpdate() {
            return new Update(state, endpoint, incarnation, state == Kind.ALIVE ? endpoint.id() : accuser);
        }

        boolean live() {
            return state == Kind.ALIVE || state == Kind.SUSPECT;
        }
    }

    private final SwimConfig config;
    private final String selfId;
    private final ProbeOrder order;
    private final GossipQueue gossip;
    private final List<MembershipEvent> events;
    /** Sorted by id so that a state sync can page through it. */
    private final NavigableMap<String, Member> members = new TreeMap<>();
    private final Map<String, Member> suspected = new HashMap<>();
    /** Members ALIVE or SUSPECT, this one not counted. */
    private int liveOthers;
    private long ignoredForRoom;

    MemberTable(SwimConfig config, String selfId, ProbeOrder order, GossipQueue gossip, List<MembershipEvent> events) {
        this.config = config;
        this.selfId = selfId;
        this.order = order;
        this.gossip = gossip;
        this.events = events;
    }

    Member get(String id) {
        return members.get(id);
    }

    /** Members that may be probed and asked to probe: ALIVE or SUSPECT (SWIM probes suspects too). */
    boolean probeable(String id) {
        Member m = members.get(id);
        return m != null && m.live();
    }

    /** The cluster's size as this member estimates it: the live others plus itself. */
    int liveCount() {
        return liveOthers + 1;
    }

    NavigableMap<String, Member> all() {
        return members;
    }

    long ignoredForRoom() {
        return ignoredForRoom;
    }

    /**
     * This member's record of the update's member if it is newer than the update: a higher
     * incarnation, or the same with a stronger state (ALIVE, then SUSPECT, then DEAD or LEFT).
     * Null when the update is news, or no older than what is known.
     */
    Update newerThan(Update update) {
        Member m = members.get(update.member().id());
        if (m == null || m.incarnation < update.incarnation()) {
            return null;
        }
        if (m.incarnation > update.incarnation() || rank(m.state) > rank(update.kind())) {
            return m.asUpdate();
        }
        return null;
    }

    private static int rank(Kind kind) {
        return switch (kind) {
            case ALIVE -> 0;
            case SUSPECT -> 1;
            case DEAD, LEFT -> 2;
        };
    }

    /**
     * Applies news about another member (never this one: the core answers those).
     *
     * @param gossipNewcomer whether a member not known before is news to pass on: yes when it came
     *     by gossip, no when it came in a state sync's page (where the rest of the cluster most
     *     likely knows it, and a joining member would otherwise fill its messages with the whole
     *     table)
     */
    void apply(Update update, long nowMs, boolean gossipNewcomer) {
        Member m = members.get(update.member().id());
        switch (update.kind()) {
            case ALIVE -> {
                if (m == null) {
                    add(update, nowMs, gossipNewcomer);
                } else if (update.incarnation() > m.incarnation) {
                    boolean wasLive = m.live();
                    Kind was = m.state;
                    m.endpoint = update.member();
                    m.incarnation = update.incarnation();
                    setState(m, Kind.ALIVE, m.endpoint.id(), nowMs);
                    if (was == Kind.SUSPECT) {
                        events.add(new MembershipEvent.Alive(m.endpoint, m.incarnation));
                    } else if (!wasLive) {
                        order.add(m.endpoint.id());
                        events.add(new MembershipEvent.Joined(m.endpoint, m.incarnation));
                    }
                    gossip.offer(update);
                }
            }
            case SUSPECT -> {
                if (m == null || update.incarnation() < m.incarnation || !m.live()) {
                    return; // unknown, stale, or already down: nothing a suspicion could add
                }
                if (m.state == Kind.SUSPECT) {
                    m.incarnation = update.incarnation();
                    if (m.suspicion.confirm(update.from())) {
                        gossip.offer(update); // so the other suspecters count it too
                    }
                } else {
                    suspect(m, update.incarnation(), update.from(), nowMs);
                    gossip.offer(update);
                }
            }
            case DEAD, LEFT -> {
                if (m == null || update.incarnation() < m.incarnation || !m.live()) {
                    return;
                }
                down(m, update.kind(), update.incarnation(), update.from(), nowMs);
                gossip.offer(update);
            }
        }
    }

    /**
     * This member's own probe of {@code id} failed: it suspects the member, or, if the member is
     * suspected already, confirms the suspicion. Returns whether that was news to gossip.
     */
    boolean probeFailed(String id, long nowMs) {
        Member m = members.get(id);
        if (m == null || !m.live()) {
            return false;
        }
        Update accusation = Update.suspect(m.endpoint, m.incarnation, selfId);
        if (m.state == Kind.ALIVE) {
            suspect(m, m.incarnation, selfId, nowMs);
        } else if (!m.suspicion.confirm(selfId)) {
            return false;
        }
        gossip.offer(accusation);
        return true;
    }

    /** Declares dead every suspect whose suspicion ran out by {@code nowMs}. */
    void expireSuspicions(long nowMs) {
        if (suspected.isEmpty()) {
            return;
        }
        List<Member> due = new ArrayList<>();
        for (Member m : suspected.values()) {
            if (m.suspicion.deadlineMs() <= nowMs) {
                due.add(m);
            }
        }
        for (Member m : due) {
            down(m, Kind.DEAD, m.incarnation, selfId, nowMs);
            gossip.offer(Update.dead(m.endpoint, m.incarnation, selfId));
        }
    }

    /** One page of the table for a state sync; {@code nextAfterId} is "" after the last one. */
    record Page(List<Update> members, String nextAfterId) {}

    /**
     * The members whose ids sort after {@code afterId}, {@code self} merged in at its place, in id
     * order, as many as fit {@code bytesMax} encoded bytes and {@code countMax} updates.
     */
    Page page(String afterId, Update self, int bytesMax, int countMax) {
        List<Update> page = new ArrayList<>();
        int bytesLeft = bytesMax;
        Iterator<Member> rest = members.tailMap(afterId, false).values().iterator();
        Member pending = rest.hasNext() ? rest.next() : null;
        String selfId = self.member().id();
        boolean selfPending = selfId.compareTo(afterId) > 0;
        while (pending != null || selfPending) {
            Update update;
            if (selfPending && (pending == null || selfId.compareTo(pending.endpoint.id()) < 0)) {
                update = self;
                selfPending = false;
            } else {
                update = pending.asUpdate();
                pending = rest.hasNext() ? rest.next() : null;
            }
            int bytes = MembershipCodec.updateBytes(update);
            if (page.size() >= countMax || bytes > bytesLeft) {
                // An empty page ends the sync: the requester stops at a page without members.
                return new Page(page, page.isEmpty() ? afterId : page.getLast().member().id());
            }
            page.add(update);
            bytesLeft -= bytes;
        }
        return new Page(page, "");
    }

    /**
     * One of the suspicions running here, chosen by {@code pick} (a draw below the count), as an
     * update to advertise; null when none runs.
     */
    Update anySuspicion(java.util.function.IntUnaryOperator pick) {
        if (suspected.isEmpty()) {
            return null;
        }
        int skip = pick.applyAsInt(suspected.size());
        for (Member m : suspected.values()) {
            if (skip-- == 0) {
                return m.asUpdate();
            }
        }
        return null;
    }

    /** The earliest suspicion deadline, or {@link Long#MAX_VALUE} with none running. */
    long nextDeadlineMs() {
        long next = Long.MAX_VALUE;
        for (Member m : suspected.values()) {
            next = Math.min(next, m.suspicion.deadlineMs());
        }
        return next;
    }

    /**
     * This member was stalled for {@code stallMs} (a GC pause, SIGSTOP, a starved CPU): no
     * refutation could be heard meanwhile, so the suspicions get that much longer.
     */
    void postponeSuspicions(long stallMs) {
        for (Member m : suspected.values()) {
            m.suspicion.postponeMs(stallMs);
        }
    }

    /**
     * Adds a member known by configuration (a static peer list): alive at incarnation 0, without
     * gossip, since every member starts from the same list.
     */
    void addKnown(Endpoint endpoint, long nowMs) {
        if (!members.containsKey(endpoint.id())) {
            add(Update.alive(endpoint, 0), nowMs, false);
        }
    }

    private void add(Update update, long nowMs, boolean gossipIt) {
        if (members.size() + 1 >= config.membersMax() && !evictLongestDown()) {
            ignoredForRoom++;
            return;
        }
        Member m = new Member();
        m.endpoint = update.member();
        m.incarnation = update.incarnation();
        m.state = Kind.ALIVE;
        m.accuser = m.endpoint.id();
        m.sinceMs = nowMs;
        members.put(m.endpoint.id(), m);
        liveOthers++;
        order.add(m.endpoint.id());
        events.add(new MembershipEvent.Joined(m.endpoint, m.incarnation));
        if (gossipIt) {
            gossip.offer(update);
        }
    }

    private boolean evictLongestDown() {
        Member oldest = null;
        for (Member m : members.values()) {
            if (!m.live() && (oldest == null || m.sinceMs < oldest.sinceMs)) {
                oldest = m;
            }
        }
        if (oldest == null) {
            return false;
        }
        members.remove(oldest.endpoint.id());
        return true;
    }

    private void suspect(Member m, long incarnation, String accuser, long nowMs) {
        m.incarnation = incarnation;
        setState(m, Kind.SUSPECT, accuser, nowMs);
        int n = liveCount();
        // The other members that could confirm: neither this one nor the suspect.
        int confirmations = Math.clamp(n - 2L, 0, config.suspicionConfirmations());
        m.suspicion = new Suspicion(accuser, nowMs, config.suspicionMinMs(n), config.suspicionMaxMs(n), confirmations);
        suspected.put(m.endpoint.id(), m);
        events.add(new MembershipEvent.Suspected(m.endpoint, incarnation));
    }

    private void down(Member m, Kind kind, long incarnation, String accuser, long nowMs) {
        m.incarnation = incarnation;
        setState(m, kind, accuser, nowMs);
        events.add(kind == Kind.LEFT
                ? new MembershipEvent.Left(m.endpoint, incarnation)
                : new MembershipEvent.Dead(m.endpoint, incarnation));
    }

    private void setState(Member m, Kind state, String accuser, long nowMs) {
        boolean wasLive = m.live();
        m.state = state;
        m.accuser = accuser;
        m.sinceMs = nowMs;
        if (state != Kind.SUSPECT) {
            m.suspicion = null;
            suspected.remove(m.endpoint.id());
        }
        if (wasLive != m.live()) {
            liveOthers += m.live() ? 1 : -1;
        }
    }
}
