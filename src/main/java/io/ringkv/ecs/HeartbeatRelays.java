package io.ringkv.ecs;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the ECS keeps about relayed heartbeats: per node, the process and the highest heartbeat
 * number seen from it (a relayed heartbeat must be newer, so a relay cannot replay one), and the
 * relay its last counted heartbeat came through. In memory only: right after an ECS restart one
 * replayed relayed heartbeat of a process would be taken once.
 *
 * <p>Thread-safe: every method is short and synchronized.
 */
final class HeartbeatRelays {
    private final Map<String, Sequence> sequences = new HashMap<>();
    private final Map<String, String> lastVia = new HashMap<>();

    private record Sequence(String incarnation, long seq) {}

    /**
     * Records {@code seq} as the newest heartbeat of the process; false when one as new was seen
     * from it already. Heartbeats without a number (0) are never refused here.
     */
    synchronized boolean advance(String id, String incarnation, long seq) {
        Sequence last = sequences.get(id);
        if (last != null && last.incarnation().equals(incarnation) && last.seq() >= seq) {
            return seq == 0;
        }
        if (seq > 0) {
            sequences.put(id, new Sequence(incarnation, seq));
        }
        return true;
    }

    /** A heartbeat of the node was counted, relayed by {@code via} (null: it came directly). */
    synchronized void counted(String id, String via) {
        if (via == null) {
            lastVia.remove(id);
        } else {
            lastVia.put(id, via);
        }
    }

    /** The relay the node's last counted heartbeat came through, or null when it came directly. */
    synchronized String via(String id) {
        return lastVia.get(id);
    }

    /** Forgets nodes the ECS no longer knows. */
    synchronized void retain(Set<String> known) {
        sequences.keySet().retainAll(known);
        lastVia.keySet().retainAll(known);
    }
}
