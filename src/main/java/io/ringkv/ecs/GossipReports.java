package io.ringkv.ecs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the ring's members say of each other: every heartbeat carries the members its sender's
 * gossip finds dead, and the last such report of each member is kept here with when it came.
 *
 * <p>A member is <em>cut off</em> when more than half of the ring (counting it) finds it dead:
 * fresh reports from live members other than itself. It may still reach the ECS, but a majority
 * cannot reach it, so it cannot replicate, and the ECS stops counting its heartbeats; the normal
 * failure timeout then fails it over without ever overlapping its last lease (see {@link
 * FailureDetector}). "More than half of the ring" rather than "most of those who report" is what
 * keeps an even split (two against two) from condemning both halves: neither side is a majority.
 * One member alone can condemn nobody in a ring of more than one.
 *
 * <p>{@link #judge} turns that into a verdict on one member's heartbeat: found dead by more than
 * half of the ring, it is told so (it refutes if it runs and only its refutation was lost); if
 * that lasts {@code freshFor} without a break, it is cut off, and the heartbeat is not to be counted.
 *
 * <p>Pure: time comes in as arguments. Thread-safe: every method is short and synchronized.
 */
final class GossipReports {
    private final Duration freshFor;
    private final Map<String, Report> reports = new HashMap<>();
    /** Per member: since when more than half of the ring has found it dead, without a break. */
    private final Map<String, Instant> foundDeadSince = new HashMap<>();
    /**
     * Per member: when a heartbeat of it last went uncounted because it was cut off. A member
     * declared after that went on heartbeating (CUT_OFF); one silent since its last counted
     * heartbeat failed, whatever gossip says of it too.
     */
    private final Map<String, Instant> uncounted = new HashMap<>();

    private record Report(Set<String> dead, Instant at) {}

    /**
     * What the ring says of a member that heartbeats.
     *
     * @param deadBy the members that find it dead, when they are more than half of the ring; else empty
     * @param cutOff whether that has lasted {@code freshFor}: its heartbeat is not to be counted
     * @param forMs how long the ring has found it dead
     */
    record Verdict(List<String> deadBy, boolean cutOff, long forMs) {
        static final Verdict ALIVE = new Verdict(List.of(), false, 0);
    }

    /** @param freshFor how long a report counts; the failure timeout, as for heartbeats */
    GossipReports(Duration freshFor) {
        this.freshFor = freshFor;
    }

    /** The members {@code reporter}'s gossip finds dead, as its heartbeat said at {@code at}. */
    synchronized void report(String reporter, Collection<String> dead, Instant at) {
        reports.put(reporter, new Report(Set.copyOf(dead), at));
    }

    /** The members (of {@code members}, other than {@code id}, live and with a fresh report) that find {@code id} dead. */
    synchronized List<String> condemners(String id, Collection<String> members, Predicate<String> live, Instant now) {
        List<String> condemners = new ArrayList<>();
        for (String member : members) {
            Report report = reports.get(member);
            if (!member.equals(id) && report != null && report.dead().contains(id)
                    && Duration.between(report.at(), now).compareTo(freshFor) < 0 && live.test(member)) {
                condemners.add(member);
            }
        }
        return condemners;
    }

    /** The verdict on {@code id}'s heartbeat at {@code now}; see the class comment. */
    synchronized Verdict judge(String id, List<String> members, Predicate<String> live, Instant now) {
        List<String> condemners = condemners(id, members, live, now);
        if (!members.contains(id) || !cutOff(condemners.size(), members.size())) {
            foundDeadSince.remove(id);
            return Verdict.ALIVE;
        }
        Instant since = foundDeadSince.computeIfAbsent(id, k -> now);
        Duration lasted = Duration.between(since, now);
        boolean cutOff = lasted.compareTo(freshFor) >= 0;
        if (cutOff) {
            uncounted.put(id, now);
        }
        return new Verdict(condemners, cutOff, lasted.toMillis());
    }

    /** Whether a heartbeat of {@code id} went uncounted after {@code lastCounted}: it was cut off, not silent. */
    synchronized boolean wasCutOff(String id, Instant lastCounted) {
        Instant last = uncounted.get(id);
        return last != null && last.isAfter(lastCounted);
    }

    /** Whether {@code condemners} finding a member dead cut it off in a ring of {@code ringSize}. */
    static boolean cutOff(int condemners, int ringSize) {
        return 2 * condemners > ringSize;
    }

    /** Forgets the reports of nodes the ECS no longer knows. */
    synchronized void retain(Set<String> known) {
        reports.keySet().retainAll(known);
        foundDeadSince.keySet().retainAll(known);
        uncounted.keySet().retainAll(known);
    }
}
