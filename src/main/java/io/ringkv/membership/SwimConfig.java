package io.ringkv.membership;

/**
 * How the membership protocol runs. The defaults follow hashicorp/memberlist's LAN profile (probe
 * every second, 500 ms probe timeout, 3 indirect checks, suspicion multiplier 4 and maximum 6,
 * retransmit multiplier 4, health score up to 8), which is tuned for clusters of up to a few
 * thousand members on one network.
 *
 * @param periodMs the protocol period: one member is probed per period (times the local health
 *     multiplier's {@code score + 1})
 * @param probeTimeoutMs how long the direct ping waits for its ack before indirect probes go out;
 *     below {@code periodMs}, which is when the probe as a whole gives up
 * @param indirectChecks how many members are asked to probe a target that missed its direct ack
 * @param nackTimeoutMs how long an intermediary waits for the target before answering a nack; the
 *     nack must reach the requester before its period ends, so this is below
 *     {@code periodMs - probeTimeoutMs}
 * @param suspicionMult the minimum suspicion timeout is
 *     {@code suspicionMult * max(1, log10(n)) * periodMs}
 * @param suspicionMaxMult the maximum suspicion timeout, where a suspicion starts, is this times the
 *     minimum; it shrinks toward the minimum as confirmations arrive
 * @param suspicionConfirmations independent confirmations after which the suspicion timeout
 *     reaches its minimum (fewer when the cluster has fewer other members to give them)
 * @param retransmitMult each update is piggybacked at most
 *     {@code retransmitMult * ceil(log10(n + 1))} times by each member
 * @param healthMax the local health multiplier's highest score: at it, probing runs
 *     {@code healthMax + 1} times slower
 * @param datagramBytesMax the largest datagram sent or accepted; 1400 keeps within an Ethernet MTU
 * @param updatesPerMessageMax most updates piggybacked on (or paged into) one message
 * @param membersMax most members this member keeps track of, dead ones included; a member beyond
 *     it is ignored unless a dead one can make room
 * @param broadcastsMax most updates waiting to be piggybacked; the most retransmitted go first
 * @param forwardsMax most indirect probes this member runs for others at once
 * @param syncIntervalMs how often one page of the member table is pulled from a random member
 *     (dead ones included, so that the two sides of a healed partition find each other); 0 never
 * @param joinRetryMs how often a member that knows nobody yet asks its seeds again
 */
public record SwimConfig(
        long periodMs,
        long probeTimeoutMs,
        int indirectChecks,
        long nackTimeoutMs,
        int suspicionMult,
        int suspicionMaxMult,
        int suspicionConfirmations,
        int retransmitMult,
        int healthMax,
        int datagramBytesMax,
        int updatesPerMessageMax,
        int membersMax,
        int broadcastsMax,
        int forwardsMax,
        long syncIntervalMs,
        long joinRetryMs) {

    /** Small enough to fit a minimal message, large enough for a UDP datagram on any platform. */
    public static final int DATAGRAM_BYTES_MIN = 576;
    public static final int DATAGRAM_BYTES_MAX = 65_507;
    /** The codec writes update counts in one byte. */
    public static final int UPDATES_PER_MESSAGE_LIMIT = 255;

    public SwimConfig {
        positive("periodMs", periodMs);
        positive("probeTimeoutMs", probeTimeoutMs);
        positive("nackTimeoutMs", nackTimeoutMs);
        if (probeTimeoutMs >= periodMs) {
            throw new IllegalArgumentException("probeTimeoutMs (" + probeTimeoutMs
                    + ") must be below periodMs (" + periodMs + "): indirect probes need the rest of the period");
        }
        if (nackTimeoutMs >= periodMs - probeTimeoutMs) {
            throw new IllegalArgumentException("nackTimeoutMs (" + nackTimeoutMs + ") must be below periodMs"
                    + " - probeTimeoutMs (" + (periodMs - probeTimeoutMs) + "): a nack must arrive within the period");
        }
        range("indirectChecks", indirectChecks, 0, 16);
        range("suspicionMult", suspicionMult, 1, 100);
        range("suspicionMaxMult", suspicionMaxMult, 1, 100);
        range("suspicionConfirmations", suspicionConfirmations, 0, 16);
        range("retransmitMult", retransmitMult, 1, 100);
        range("healthMax", healthMax, 0, 64);
        range("datagramBytesMax", datagramBytesMax, DATAGRAM_BYTES_MIN, DATAGRAM_BYTES_MAX);
        range("updatesPerMessageMax", updatesPerMessageMax, 1, UPDATES_PER_MESSAGE_LIMIT);
        range("membersMax", membersMax, 2, 1 << 20);
        range("broadcastsMax", broadcastsMax, 1, 1 << 20);
        range("forwardsMax", forwardsMax, 0, 1 << 16);
        if (syncIntervalMs < 0) {
            throw new IllegalArgumentException("syncIntervalMs must not be negative: " + syncIntervalMs);
        }
        positive("joinRetryMs", joinRetryMs);
    }

    /** memberlist's LAN profile, as described above. */
    public static SwimConfig defaults() {
        return new SwimConfig(1_000, 500, 3, 400, 4, 6, 3, 4, 8, 1_400, 64, 4_096, 1_024, 256, 30_000, 2_000);
    }

    /**
     * Five times faster than {@link #defaults()}, for tests on real sockets that must finish in
     * seconds: a 200 ms period. Loopback answers in well under the 100 ms probe timeout, unless the
     * machine is starved, which the suspicion timeout then absorbs.
     */
    public static SwimConfig forTests() {
        return new SwimConfig(200, 100, 3, 80, 4, 6, 3, 4, 8, 1_400, 64, 4_096, 1_024, 256, 6_000, 400);
    }

    public SwimConfig withSyncIntervalMs(long intervalMs) {
        return new SwimConfig(periodMs, probeTimeoutMs, indirectChecks, nackTimeoutMs, suspicionMult,
                suspicionMaxMult, suspicionConfirmations, retransmitMult, healthMax, datagramBytesMax,
                updatesPerMessageMax, membersMax, broadcastsMax, forwardsMax, intervalMs, joinRetryMs);
    }

    /**
     * The suspicion timeout once all confirmations arrived: {@code suspicionMult * max(1, log10(n))}
     * periods, so that it grows with the time gossip needs to reach everyone (and so a refutation
     * to come back).
     *
     * @param members the members not known to be dead, this one included
     */
    public long suspicionMinMs(int members) {
        double scale = Math.max(1.0, Math.log10(Math.max(1, members)));
        return (long) Math.ceil(suspicionMult * scale * periodMs);
    }

    /** The suspicion timeout with no confirmation yet: {@code suspicionMaxMult} times the minimum. */
    public long suspicionMaxMs(int members) {
        return suspicionMaxMult * suspicionMinMs(members);
    }

    /** How many times each member piggybacks one update: {@code retransmitMult * ceil(log10(n + 1))}. */
    public int retransmitLimit(int members) {
        return retransmitMult * (int) Math.ceil(Math.log10(Math.max(1, members) + 1.0));
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ": " + value);
        }
    }
}
