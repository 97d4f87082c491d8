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
 * <p>Pure: time comes in as arguments. Thread-safe: every method is short and synchronized.
 */
final class GossipReports {
    private final Duration freshFor;
    private final Map<String, Report> reports = new HashMap<>();

    private record Report(Set<String> dead, Instant at) {}

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

    /** Whether {@code condemners} finding a member dead cut it off in a ring of {@code ringSize}. */
    static boolean cutOff(int condemners, int ringSize) {
        return 2 * condemners > ringSize;
    }

    /** Forgets the reports of nodes the ECS no longer knows. */
    synchronized void retain(Set<String> known) {
        reports.keySet().retainAll(known);
    }
}
