package io.ringkv.membership;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The indirect probes this member runs for others (its part as an intermediary of a ping-req),
 * keyed by the seq of its own ping to the target. Each is kept until the requester's period is
 * over, so an ack that comes after the nack went out is still forwarded. Bounded by
 * {@code capacity}; a ping-req beyond it is refused. Not thread-safe; owned by the protocol core.
 */
final class Forwards {
    /** A requester waiting for the target's ack under its own {@code requesterSeq}. */
    static final class Forward {
        final Address requester;
        final int requesterSeq;
        final long nackAtMs;
        final long expiresAtMs;
        boolean nacked;

        Forward(Address requester, int requesterSeq, long nackAtMs, long expiresAtMs) {
            this.requester = requester;
            this.requesterSeq = requesterSeq;
            this.nackAtMs = nackAtMs;
            this.expiresAtMs = expiresAtMs;
        }

        long nextDueMs() {
            return nacked ? expiresAtMs : nackAtMs;
        }
    }

    private final int capacity;
    private final Map<Integer, Forward> bySeq = new HashMap<>();
    private long refused;

    Forwards(int capacity) {
        this.capacity = capacity;
    }

    /** Starts one under {@code seq}; false when full (the ping-req is then ignored). */
    boolean start(int seq, Forward forward) {
        if (bySeq.size() >= capacity) {
            refused++;
            return false;
        }
        bySeq.put(seq, forward);
        return true;
    }

    /** The forward an ack with {@code seq} answers, removed; null when none (late, or not ours). */
    Forward acked(int seq) {
        return bySeq.remove(seq);
    }

    /** Forgets the forwards whose time is over, and returns those whose nack is due now (marked sent). */
    List<Forward> nacksDue(long nowMs) {
        if (bySeq.isEmpty()) {
            return List.of();
        }
        List<Forward> due = new ArrayList<>();
        Iterator<Forward> it = bySeq.values().iterator();
        while (it.hasNext()) {
            Forward forward = it.next();
            if (nowMs >= forward.expiresAtMs) {
                it.remove();
            } else if (!forward.nacked && nowMs >= forward.nackAtMs) {
                forward.nacked = true;
                due.add(forward);
            }
        }
        return due;
    }

    long nextDueMs() {
        long next = Long.MAX_VALUE;
        for (Forward forward : bySeq.values()) {
            next = Math.min(next, forward.nextDueMs());
        }
        return next;
    }

    long refused() {
        return refused;
    }
}
