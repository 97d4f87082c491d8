package io.ringkv.sim;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The simulated network's fault model: which datagrams are lost and how late the others arrive.
 *
 * <p>Faults modelled: each datagram is lost independently with probability {@code lossRate};
 * every delivered one takes a delay drawn uniformly from {@code [delayMinMs, delayMaxMs]}, so
 * datagrams are reordered whenever their delays cross; a partition splits the members into groups
 * and drops every datagram between groups, in both directions, until healed. Not modelled:
 * duplication, corruption (the codec and its authentication handle those, and are tested on their
 * own), asymmetric partitions and bandwidth limits. A crashed or paused member is the
 * {@link SwimSimulation}'s business, not the network's.
 */
final class SimNetwork {
    private final RandomGenerator random;
    private double lossRate;
    private final long delayMinMs;
    private final long delayMaxMs;
    /** Group of each member by index; all 0 when there is no partition. */
    private int[] groups = new int[0];
    private long lost;
    private long cut;

    SimNetwork(RandomGenerator random, double lossRate, long delayMinMs, long delayMaxMs) {
        if (lossRate < 0 || lossRate >= 1 || delayMinMs < 0 || delayMaxMs < delayMinMs) {
            throw new IllegalArgumentException("bad network: loss " + lossRate + ", delay " + delayMinMs + ".." + delayMaxMs);
        }
        this.random = random;
        this.lossRate = lossRate;
        this.delayMinMs = delayMinMs;
        this.delayMaxMs = delayMaxMs;
    }

    void lossRate(double rate) {
        this.lossRate = rate;
    }

    /** Splits members into groups: {@code groupOf[i]} is member i's; members beyond the array are in group 0. */
    void partition(int[] groupOf) {
        groups = groupOf.clone();
    }

    void heal() {
        groups = new int[0];
    }

    /** The delay of a datagram from member {@code from} to member {@code to}, or -1 when it is lost. */
    long delayMs(int from, int to) {
        if (group(from) != group(to)) {
            cut++;
            return -1;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate) {
            lost++;
            return -1;
        }
        return delayMinMs == delayMaxMs ? delayMinMs : random.nextLong(delayMinMs, delayMaxMs + 1);
    }

    private int group(int member) {
        return member < groups.length ? groups[member] : 0;
    }

    long lost() {
        return lost;
    }

    long cut() {
        return cut;
    }

    @Override
    public String toString() {
        return "loss " + lossRate + ", delay " + delayMinMs + ".." + delayMaxMs + " ms"
                + (groups.length == 0 ? "" : ", partitioned " + Arrays.toString(groups));
    }
}
