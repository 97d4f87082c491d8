package io.ringkv.cluster;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The right to act as owner (primary) of the keys the ring gives this node, granted by the ECS one
 * heartbeat at a time. The lease is valid while {@code now - sentAt < lease}, where {@code sentAt}
 * is when the node sent the last heartbeat the ECS acknowledged with a grant, and {@code lease} is
 * the duration the ECS names in that reply (its failure-timeout / 2). Measured from the sending,
 * not the reply, so that however late the reply arrives the lease ends before the ECS, which counts
 * its failure-timeout from the <em>receipt</em> of the last heartbeat, can declare the node failed and
 * give its keys to others. A reply that refuses the grant (declared failed, not a member, behind
 * the ring, restarted and not fenced yet) renews nothing, and the lease runs out on its own: it
 * needs no revoking, because by the argument above it has always run out before the ECS acts on
 * the node's silence. So replies may arrive in any order: each grant extends the lease to its own
 * heartbeat's send time plus the lease, if that is later.
 *
 * <p>Time is {@code nanoClock} (monotonic, {@link System#nanoTime} in production; a manual clock in
 * tests). Thread-safe: {@link #valid()} is read on every owner request and never blocks.
 */
public final class Lease {
    /**
     * What {@code GET /api/v1/node} shows.
     *
     * @param required false for a lone node, which owns every key without a lease
     * @param leaseMs the duration the ECS gave, 0 before its first reply
     * @param remainingMs how long the lease still runs, 0 when not valid
     * @param reason why the ECS refused the last heartbeat's grant (a valid lease then runs out
     *     unless renewed), or why the lease is not valid; null when neither
     */
    public record Status(boolean required, boolean valid, long leaseMs, long remainingMs, String reason) {}

    private final boolean required;
    /** True for a member of a cluster without an ECS: valid while its view has a majority ({@link #quorum}). */
    private final boolean byQuorum;
    private final LongSupplier nanoClock;
    /** Valid while {@code nanoClock - expiresAtNanos < 0}. */
    private volatile long expiresAtNanos;
    private volatile long leaseNanos;
    /** Why the last reply refused a grant, or null when it granted one. */
    private volatile String refusal = "no heartbeat acknowledged by the ECS yet";

    private Lease(boolean required, boolean byQuorum, LongSupplier nanoClock) {
        this.required = required;
        this.byQuorum = byQuorum;
        this.nanoClock = nanoClock;
        this.expiresAtNanos = nanoClock.getAsLong();
    }

    /** A lone node's: always valid. */
    public static Lease notRequired() {
        return new Lease(false, false, System::nanoTime);
    }

    /** A cluster member's: invalid until the ECS grants it. */
    public static Lease fromEcs(LongSupplier nanoClock) {
        return new Lease(true, false, nanoClock);
    }

    /**
     * A member's of a cluster without an ECS: valid while more than half of the cluster's members
     * are alive in its membership view, as {@link #quorum} last said; so a node on the minority side
     * of a partition, whose ring holds only the members it still sees, acts as owner of nothing.
     * Invalid until first told.
     */
    public static Lease byQuorum() {
        Lease lease = new Lease(true, true, System::nanoTime);
        lease.refusal = "membership not formed yet";
        return lease;
    }

    /** For {@link #byQuorum()}: whether the view has a majority now, and if not, why. */
    public void quorum(boolean majority, String whyNot) {
        refusal = majority ? null : whyNot;
    }

    /** The time to record as a heartbeat's send time, taken just before sending it. */
    public long now() {
        return nanoClock.getAsLong();
    }

    /**
     * The ECS answered the heartbeat sent at {@code sentAtNanos}.
     *
     * @param lease the lease duration the ECS uses
     * @param granted whether this heartbeat renews the lease
     * @param reason why not, when not granted
     */
    public synchronized void answered(long sentAtNanos, Duration lease, boolean granted, String reason) {
        leaseNanos = lease.toNanos();
        if (granted) {
            refusal = null;
            long expiresAt = sentAtNanos + leaseNanos;
            if (expiresAt - expiresAtNanos > 0) {
                expiresAtNanos = expiresAt;
            }
        } else {
            refusal = reason == null ? "refused by the ECS" : reason;
        }
    }

    /** Whether this node may act as owner now. */
    public boolean valid() {
        if (byQuorum) {
            return refusal == null;
        }
        return !required || nanoClock.getAsLong() - expiresAtNanos < 0;
    }

    public Status status() {
        if (!required) {
            return new Status(false, true, 0, 0, null);
        }
        if (byQuorum) {
            String why = refusal;
            return new Status(true, why == null, 0, 0, why);
        }
        long now = nanoClock.getAsLong();
        long expiresAt = expiresAtNanos;
        long remaining = expiresAt - now;
        String why = refusal;
        if (remaining > 0) {
            return new Status(true, true, leaseNanos / 1_000_000, remaining / 1_000_000, why);
        }
        if (why == null) {
            why = "no heartbeat acknowledged for " + (now - (expiresAt - leaseNanos)) / 1_000_000 + " ms (lease "
                    + leaseNanos / 1_000_000 + " ms)";
        }
        return new Status(true, false, leaseNanos / 1_000_000, 0, why);
    }
}
