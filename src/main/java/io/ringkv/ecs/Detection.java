package io.ringkv.ecs;

import java.time.Duration;
import java.time.Instant;

/**
 * One thing the failure detector acted on, as a {@link OperationKind#FAILOVER} operation reports it.
 *
 * @param node the member's id
 * @param cause why a ring was published for it
 * @param incarnation the process the ECS last heard from: for FAILED the silent one, for
 *     RESTARTED the new one
 * @param lastHeartbeatAt for FAILED the last heartbeat heard before the silence, for CUT_OFF the last
 *     one counted; for RESTARTED the first heartbeat of the new incarnation
 * @param declaredAt when the ring without the node (or, for RESTARTED, the same members under a new
 *     epoch) was committed: from then on {@code GET /ring} and every heartbeat reply announce it
 * @param detectionMs {@code declaredAt - lastHeartbeatAt}: at least ringkv.ecs.failure-timeout for
 *     FAILED
 * @param epoch the epoch of that ring
 * @param publishedAt when every live member had been sent that ring (or a newer one), null until then
 */
public record Detection(String node, Cause cause, String incarnation, Instant lastHeartbeatAt, Instant declaredAt,
        long detectionMs, long epoch, Instant publishedAt) {

    /** Persisted by name: add, never rename. */
    public enum Cause {
        /** No heartbeat for ringkv.ecs.failure-timeout: the ring no longer has it. */
        FAILED,
        /**
         * Heard from under a new incarnation before it was declared failed: the same members under a
         * new epoch, which fences whatever the old process held under the previous one.
         */
        RESTARTED,
        /**
         * Its heartbeats still arrived, but more than half of the ring found it dead by gossip: cut
         * off from its peers. The ECS stopped counting its heartbeats, and failed it over once the
         * failure timeout had passed since the last one it counted.
         */
        CUT_OFF
    }

    static Detection of(String node, Cause cause, String incarnation, Instant lastHeartbeatAt, Instant declaredAt,
            long epoch) {
        return new Detection(node, cause, incarnation, lastHeartbeatAt, declaredAt,
                Duration.between(lastHeartbeatAt, declaredAt).toMillis(), epoch, null);
    }

    Detection published(Instant at) {
        return new Detection(node, cause, incarnation, lastHeartbeatAt, declaredAt, detectionMs, epoch, at);
    }
}
