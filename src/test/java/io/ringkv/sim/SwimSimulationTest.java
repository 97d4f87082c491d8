package io.ringkv.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ringkv.membership.Endpoint;
import io.ringkv.membership.MembershipEvent;
import io.ringkv.membership.SwimConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SWIM core's claims, checked on {@link SwimSimulation}s of 50 to 1000 members with the default
 * configuration (1 s period) over a network delaying each datagram 1 to 20 ms: crashed members
 * are detected by everyone within the bound, updates spread in {@code 3 log2(n)} periods, loss
 * alone never kills a healthy member, a short pause is refuted, and the traffic each member sends
 * does not grow with the cluster. Every test prints its figures in a line starting
 * {@code SWIM-SIM}. Seeds: see {@link SimSeeds}.
 */
class SwimSimulationTest {
    private static final SwimConfig CONFIG = SwimConfig.defaults();
    private static final long PERIOD_MS = CONFIG.periodMs();
    private static final long DELAY_MIN_MS = 1;
    private static final long DELAY_MAX_MS = 20;
    /**
     * Periods within which some live member probes a crashed one. Each of the n - 1 live members
     * probes a different member each period, so the crashed one escapes all probes of a period with
     * probability about {@code (1 - 1/(n-1))^(n-1) ~ 1/e}, and ten periods with about
     * {@code e^-10 ~ 5e-5}.
     */
    private static final int FIRST_PROBE_PERIODS = 10;
    private static final long WALL_MS_MAX = 120_000;
    private static final long EVENTS_MAX = 50_000_000;
    private static final boolean LONG = Boolean.getBoolean("ringkv.long");

    /** {@code ceil(3 log2 n)}: the periods within which an update must reach every member (p99). */
    static int disseminationPeriods(int n) {
        return (int) Math.ceil(3 * Math.log(n) / Math.log(2));
    }

    /**
     * The detection bound, for members of good health (score 0): a live member probes the crashed
     * one within {@link #FIRST_PROBE_PERIODS}; its probe fails and it suspects at the end of that
     * period (+1); the suspicion reaches every member within {@link #disseminationPeriods}; and
     * each member's own suspicion runs out at the latest after the maximum suspicion timeout (fewer
     * with confirmations), when it declares the member dead if the news had not come already.
     * n = 50: (10 + 1 + 17) s + 40.8 s = 68.8 s; n = 1000: (10 + 1 + 30) s + 72 s = 113 s.
     */
    static long detectionBoundMs(int n) {
        return (FIRST_PROBE_PERIODS + 1 + disseminationPeriods(n)) * PERIOD_MS + CONFIG.suspicionMaxMs(n);
    }

    private static int indexOf(MembershipEvent event) {
        return indexOf(event.member());
    }

    private static int indexOf(Endpoint member) {
        return Integer.parseInt(member.id().substring(1));
    }

    private static SwimSimulation simulation(long seed, double lossRate) {
        return new SwimSimulation(seed, CONFIG, lossRate, DELAY_MIN_MS, DELAY_MAX_MS);
    }

    private static String wallSince(long startNanos) {
        return seconds((System.nanoTime() - startNanos) / 1e6);
    }

    private static String seconds(double ms) {
        return String.format("%.1fs", ms / 1000.0);
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {50, 1000})
    void everyLiveMemberMarksACrashedMemberDeadWithinTheBound(int n) throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            SwimSimulation sim = simulation(seed, 0);
            int crashes = n == 50 ? 20 : 10;
            long[] crashedAtMs = new long[n];
            Arrays.fill(crashedAtMs, -1);
            // deadAtMs[subject][observer]: when the observer marked the crashed subject dead.
            long[][] deadAtMs = new long[n][];
            int[] wronglyDead = {0};
            sim.observe((observer, event, nowMs) -> {
                if (event instanceof MembershipEvent.Dead) {
                    int subject = indexOf(event);
                    if (crashedAtMs[subject] < 0) {
                        wronglyDead[0]++;
                    } else if (deadAtMs[subject][observer] < 0) {
                        deadAtMs[subject][observer] = nowMs;
                    }
                }
            });
            sim.startAll(n);
            sim.runUntil(10 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
            List<Integer> crashed = new ArrayList<>();
            for (int c = 0; c < crashes; c++) {
                int victim;
                do {
                    victim = sim.randomIndex(n);
                } while (crashedAtMs[victim] >= 0);
                sim.crash(victim);
                crashedAtMs[victim] = sim.nowMs();
                deadAtMs[victim] = new long[n];
                Arrays.fill(deadAtMs[victim], -1);
                crashed.add(victim);
                sim.runUntil(sim.nowMs() + 5 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
            }
            long lastCrashMs = sim.nowMs() - 5 * PERIOD_MS;
            sim.runUntil(lastCrashMs + detectionBoundMs(n) + PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);

            Percentiles detection = new Percentiles();
            for (int victim : crashed) {
                long allMs = 0;
                for (int observer = 0; observer < n; observer++) {
                    if (crashedAtMs[observer] >= 0) {
                        continue; // crashed members mark nothing
                    }
                    assertThat(deadAtMs[victim][observer]).as("member %d marked crashed member %d dead", observer, victim)
                            .isGreaterThanOrEqualTo(0);
                    allMs = Math.max(allMs, deadAtMs[victim][observer] - crashedAtMs[victim]);
                }
                detection.add(allMs);
            }
            System.out.printf("SWIM-SIM n=%d detection crashes=%d p50=%s p99=%s max=%s bound=%s"
                            + " suspicionMin=%s suspicionMax=%s wall=%s seed=%d%n",
                    n, crashes, seconds(detection.at(50)), seconds(detection.at(99)), seconds(detection.max()),
                    seconds(detectionBoundMs(n)), seconds(CONFIG.suspicionMinMs(n)), seconds(CONFIG.suspicionMaxMs(n)),
                    wallSince(wallStart), seed);
            assertThat(detection.max()).as("slowest detection, ms").isLessThanOrEqualTo(detectionBoundMs(n));
            assertThat(wronglyDead[0]).as("live members marked dead").isZero();
        });
    }

    /**
     * Updates are joins (a new member announced by its seed) and leaves (a member announcing its
     * own departure, then stopping five periods later), one of each every few periods so that the
     * cluster keeps its size and several updates spread at once. An update has reached everyone when
     * every member that was running when it was made, and still is, has applied it; it is timed from
     * the first member that had it.
     */
    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {50, 1000})
    void anUpdateReachesEveryMemberWithin3Log2NPeriodsAtTheP99(int n) throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            SwimSimulation sim = simulation(seed, 0);
            int cycles = n == 50 ? 50 : 25;
            int total = n + cycles;
            // learnedAtMs[subject][observer] for joins (Joined) and leaves (Left); madeAtMs[subject].
            long[][] joinedAtMs = new long[total][];
            long[][] leftAtMs = new long[total][];
            long[] joinMadeAtMs = new long[total];
            long[] leaveMadeAtMs = new long[total];
            boolean[] stopped = new boolean[total];
            sim.observe((observer, event, nowMs) -> {
                int subject = indexOf(event);
                long[][] table = switch (event) {
                    case MembershipEvent.Joined j -> joinedAtMs;
                    case MembershipEvent.Left l -> leftAtMs;
                    default -> null;
                };
                if (table != null && table[subject] != null && table[subject][observer] < 0) {
                    table[subject][observer] = nowMs;
                }
            });
            sim.startAll(n);
            sim.runUntil(5 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
            List<Integer> joiners = new ArrayList<>();
            List<Integer> leavers = new ArrayList<>();
            int[] existedBelow = new int[total];
            List<int[]> stopAt = new ArrayList<>(); // {leaver, cycle at which it stops}
            for (int c = 0; c < cycles; c++) {
                int joiner = sim.size();
                existedBelow[joiner] = joiner;
                joinedAtMs[joiner] = unknown(total);
                joinMadeAtMs[joiner] = sim.nowMs();
                // The leaver first: with as many cycles as members, the last original member left
                // must be free to leave, so the joiner's seed is drawn from the others (a seed drawn
                // first could be that member and leave no leaver to draw: an endless loop).
                int leaver;
                do {
                    leaver = sim.randomIndex(n);
                } while (leaveMadeAtMs[leaver] > 0);
                int seedMember;
                do {
                    seedMember = sim.randomIndex(sim.size());
                } while (stopped[seedMember] || leaveMadeAtMs[seedMember] > 0 || seedMember == leaver);
                sim.join(seedMember);
                joiners.add(joiner);

                leftAtMs[leaver] = unknown(total);
                existedBelow[leaver] = joiner;
                leaveMadeAtMs[leaver] = sim.nowMs();
                sim.leave(leaver);
                leavers.add(leaver);
                stopAt.add(new int[] {leaver, c + 2});
                for (int[] stop : stopAt) {
                    if (stop[1] == c) {
                        sim.crash(stop[0]);
                        stopped[stop[0]] = true;
                    }
                }
                sim.runUntil(sim.nowMs() + 3 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
            }
            for (int[] stop : stopAt) {
                if (!stopped[stop[0]]) {
                    sim.crash(stop[0]);
                    stopped[stop[0]] = true;
                }
            }
            sim.runUntil(sim.nowMs() + 3L * disseminationPeriods(n) * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);

            Percentiles rounds = new Percentiles();
            for (int joiner : joiners) {
                rounds.add(spreadPeriods(joinedAtMs[joiner], joiner, joinMadeAtMs[joiner], existedBelow[joiner], stopped,
                        leaveMadeAtMs));
            }
            for (int leaver : leavers) {
                rounds.add(spreadPeriods(leftAtMs[leaver], leaver, leaveMadeAtMs[leaver], existedBelow[leaver], stopped,
                        leaveMadeAtMs));
            }
            System.out.printf("SWIM-SIM n=%d dissemination updates=%d p50=%.1f p99=%.1f max=%.1f periods"
                            + " limit=%d periods wall=%s seed=%d%n",
                    n, rounds.count(), rounds.at(50), rounds.at(99), rounds.max(), disseminationPeriods(n),
                    wallSince(wallStart), seed);
            assertThat(rounds.at(99)).as("p99 periods for an update to reach every member")
                    .isLessThanOrEqualTo(disseminationPeriods(n));
        });
    }

    private static long[] unknown(int size) {
        long[] times = new long[size];
        Arrays.fill(times, -1);
        return times;
    }

    /**
     * Periods from the first member that had the update to the last of those that must: the
     * members below {@code existedBelow} (those that existed when it was made) that neither stopped
     * nor left, the subject aside.
     */
    private static double spreadPeriods(long[] learnedAtMs, int subject, long madeAtMs, int existedBelow,
            boolean[] stopped, long[] leaveMadeAtMs) {
        long firstMs = madeAtMs; // a leave is had by its maker at once; a join by its seed a little later
        long lastMs = madeAtMs;
        boolean join = subject >= existedBelow;
        if (join) {
            firstMs = Long.MAX_VALUE;
        }
        for (int observer = 0; observer < existedBelow; observer++) {
            if (observer == subject || stopped[observer] || leaveMadeAtMs[observer] > 0) {
                continue;
            }
            if (learnedAtMs[observer] < 0) {
                throw new AssertionError("member " + observer + " never learned the update about " + subject
                        + " made at " + madeAtMs + " ms");
            }
            firstMs = Math.min(firstMs, learnedAtMs[observer]);
            lastMs = Math.max(lastMs, learnedAtMs[observer]);
        }
        return (lastMs - firstMs) / (double) PERIOD_MS;
    }

    @Test
    void tenPercentLossForTenMinutesMarksNoHealthyMemberDead() throws Exception {
        falsePositives(50);
    }

    /** About as long as everything else together, so with {@code -Plong} (ringkv.long) only. */
    @Test
    void tenPercentLossForTenMinutesMarksNoHealthyMemberDeadAmongAThousand() throws Exception {
        assumeTrue(LONG, "n = 1000 for 10 minutes runs with -Plong");
        falsePositives(1000);
    }

    private void falsePositives(int n) throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            SwimSimulation sim = simulation(seed, 0.10);
            long[] counts = new long[3]; // suspected, dead, refuted (alive again), as events at any member
            Set<String> raised = new HashSet<>(); // distinct (member, incarnation) suspected
            sim.observe((observer, event, nowMs) -> {
                switch (event) {
                    case MembershipEvent.Suspected s -> {
                        counts[0]++;
                        raised.add(s.member().id() + "/" + s.incarnation());
                    }
                    case MembershipEvent.Dead d -> counts[1]++;
                    case MembershipEvent.Alive a -> counts[2]++;
                    default -> { }
                }
            });
            sim.startAll(n);
            long durationMs = 10 * 60_000;
            sim.runUntil(durationMs, EVENTS_MAX, WALL_MS_MAX * (n >= 1000 ? 5 : 1));
            int healthMax = 0;
            for (int i = 0; i < n; i++) {
                healthMax = Math.max(healthMax, sim.node(i).core.healthScore());
            }
            System.out.printf("SWIM-SIM n=%d loss=10%% minutes=10 dead=%d suspicionsRaised=%d suspectedEvents=%d"
                            + " aliveAgainEvents=%d messages/member/period=%.2f healthMaxAtEnd=%d wall=%s seed=%d%n",
                    n, counts[1], raised.size(), counts[0], counts[2], sim.sent() / (double) n / (durationMs / PERIOD_MS),
                    healthMax, wallSince(wallStart), seed);
            assertThat(counts[1]).as("healthy members marked dead (as seen by any member)").isZero();
        });
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {50, 1000})
    void aMemberPausedForHalfTheMinimumSuspicionTimeoutRefutesAndIsNeverMarkedDead(int n) throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            SwimSimulation sim = simulation(seed, 0);
            long[] counts = new long[2]; // suspicions of the paused, deaths of anyone
            int[] paused = {-1};
            int suspectedPauses = 0;
            sim.observe((observer, event, nowMs) -> {
                if (event instanceof MembershipEvent.Suspected && indexOf(event) == paused[0]) {
                    counts[0]++;
                } else if (event instanceof MembershipEvent.Dead) {
                    counts[1]++;
                }
            });
            sim.startAll(n);
            sim.runUntil(10 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
            long pauseMs = CONFIG.suspicionMinMs(n) / 2;
            int pauses = n == 50 ? 5 : 3;
            for (int p = 0; p < pauses; p++) {
                paused[0] = sim.randomIndex(n);
                long incarnationBefore = sim.node(paused[0]).core.incarnation();
                long suspicionsBefore = counts[0];
                sim.pause(paused[0]);
                sim.runUntil(sim.nowMs() + pauseMs, EVENTS_MAX, WALL_MS_MAX);
                sim.resume(paused[0]);
                sim.runUntil(sim.nowMs() + 2 * CONFIG.suspicionMaxMs(n), EVENTS_MAX, WALL_MS_MAX);
                if (counts[0] > suspicionsBefore) {
                    // A short pause may go unprobed, and so unsuspected; a suspected one is refuted.
                    suspectedPauses++;
                    assertThat(sim.node(paused[0]).core.incarnation()).as("the suspected paused member refuted")
                            .isGreaterThan(incarnationBefore);
                }
            }
            System.out.printf("SWIM-SIM n=%d pause pauses=%d suspected=%d pause=%s suspectedEvents=%d dead=%d wall=%s"
                            + " seed=%d%n",
                    n, pauses, suspectedPauses, seconds(pauseMs), counts[0], counts[1],
                    wallSince(wallStart), seed);
            assertThat(suspectedPauses).as("pauses noticed").isPositive();
            assertThat(counts[1]).as("members marked dead").isZero();
        });
    }

    /**
     * A partition long enough for each side to declare the other dead heals: the periodic syncs,
     * which go to dead members too, carry each side's news across, members refute the deaths the
     * other side declared, and everyone sees everyone alive again. Not a claim of the issue, but
     * what keeps a cluster whole after a switch fails; the bound asserted is loose, the time is
     * reported.
     */
    @Test
    void aHealedPartitionBecomesOneClusterAgain() throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            long[] ms = partitionThenHeal(seed);
            System.out.printf("SWIM-SIM n=50 partition 10|40 split-seen-by-all=%s healed-to-whole=%s limit=%s"
                            + " wall=%s seed=%d%n", seconds(ms[0]), seconds(ms[1]),
                    seconds(HEAL_LIMIT_MS), wallSince(wallStart), seed);
        });
    }

    /**
     * The scenario above over 150 seeds: before syncs wrapped around the member table, 8 of 150
     * took longer than {@link #HEAL_LIMIT_MS} (a member kept one of the first few members dead for
     * want of a sync page that held it); with the wrap the slowest took 236 s. About 6 s of wall time.
     */
    @Test
    void healedPartitionsBecomeWholeAcrossSeeds() throws Exception {
        long wallStart = System.nanoTime();
        long seedBase = SimSeeds.seed();
        int seeds = 150;
        long sum = 0;
        long max = 0;
        for (int i = 0; i < seeds; i++) {
            long seed = seedBase + i;
            long healMs;
            try {
                healMs = partitionThenHeal(seed)[1];
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " failed; replay with -Dringkv.sim.seed=" + seed
                        + " -Dtest=SwimSimulationTest#aHealedPartitionBecomesOneClusterAgain: " + e.getMessage(), e);
            }
            sum += healMs;
            max = Math.max(max, healMs);
        }
        System.out.printf("SWIM-SIM n=50 partition 10|40 over %d seeds from %d: healed-to-whole mean=%s max=%s wall=%s%n",
                seeds, seedBase, seconds(sum / (double) seeds), seconds(max), wallSince(wallStart));
    }

    /** Within this, once healed, every member must see every other alive: twenty state syncs. */
    private static final long HEAL_LIMIT_MS = 20 * CONFIG.syncIntervalMs();

    /**
     * 50 members, split 10 | 40 until each side sees only itself, then healed: returns how long the
     * split took to be seen by all and how long after the heal all saw all again (asserting the
     * latter within {@link #HEAL_LIMIT_MS}).
     */
    private static long[] partitionThenHeal(long seed) {
        int n = 50;
        SwimSimulation sim = simulation(seed, 0);
        sim.startAll(n);
        sim.runUntil(10 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
        int[] groups = new int[n];
        for (int i = 0; i < 10; i++) {
            groups[i] = 1;
        }
        sim.network.partition(groups);
        // The small side's probes keep failing, so its health score climbs and it probes up to
        // nine times slower: Lifeguard at work, it takes itself for the sick one. Its view
        // narrows more slowly than the large side's.
        long splitMs = periodsUntil(sim, () -> split(sim, groups), 10 * 60_000, "each side to see only itself");
        sim.network.heal();
        long healMs = periodsUntil(sim, () -> whole(sim, n), HEAL_LIMIT_MS, "one cluster again");
        return new long[] {splitMs, healMs};
    }

    /** Runs period by period until {@code condition} holds, at most {@code limitMs}; returns how long it took. */
    private static long periodsUntil(SwimSimulation sim, BooleanSupplier condition, long limitMs,
            String what) {
        long startMs = sim.nowMs();
        while (!condition.getAsBoolean()) {
            assertThat(sim.nowMs() - startMs).as("ms for " + what).isLessThan(limitMs);
            sim.runUntil(sim.nowMs() + PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
        }
        return sim.nowMs() - startMs;
    }

    /** Whether every member sees exactly the members of its own group as live. */
    private static boolean split(SwimSimulation sim, int[] groups) {
        for (int i = 0; i < groups.length; i++) {
            for (Endpoint member : sim.node(i).core.liveMembers()) {
                if (groups[indexOf(member)] != groups[i]) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean whole(SwimSimulation sim, int n) {
        for (int i = 0; i < n; i++) {
            if (sim.node(i).core.liveMembers().size() != n - 1) {
                return false;
            }
        }
        return true;
    }

    @Test
    void messagesPerMemberPerPeriodStayFlatAsNGrows() throws Exception {
        SimSeeds.replayable(seed -> {
            long wallStart = System.nanoTime();
            int[] sizes = {50, 200, 1000};
            double[] perMember = new double[sizes.length];
            int periods = 30;
            for (int s = 0; s < sizes.length; s++) {
                SwimSimulation sim = simulation(seed + s, 0);
                sim.startAll(sizes[s]);
                sim.runUntil(5 * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
                long before = sim.sent();
                sim.runUntil(sim.nowMs() + periods * PERIOD_MS, EVENTS_MAX, WALL_MS_MAX);
                perMember[s] = (sim.sent() - before) / (double) sizes[s] / periods;
            }
            double min = Arrays.stream(perMember).min().orElseThrow();
            double max = Arrays.stream(perMember).max().orElseThrow();
            System.out.printf("SWIM-SIM messages/member/period n=50:%.3f n=200:%.3f n=1000:%.3f ratio=%.3f wall=%s seed=%d%n",
                    perMember[0], perMember[1], perMember[2], max / min,
                    wallSince(wallStart), seed);
            assertThat(max / min).as("largest over smallest messages per member per period").isLessThanOrEqualTo(1.5);
        });
    }
}
