package io.ringkv.ecs;

import io.ringkv.ring.Member;
import io.ringkv.ring.RingView;

/**
 * The ECS's calls to a node's admin API ({@code /api/v1/node/...}). Every call is bounded in time
 * and either returns or throws {@link NodeCallException}, whose message says which node, which
 * call and why, in words fit for an operation's error list. No call is retried here: the
 * coordinator decides what a failure means.
 *
 * <p>Implementations are thread-safe; calls block the calling thread for at most their timeout.
 */
public interface NodeClient {

    /** What a node says about itself ({@code GET /api/v1/node}). */
    record NodeInfo(String id, long pid) {}

    /** The states of a node's handoff, as the node reports them. */
    enum HandoffState {
        IDLE,
        STREAMING,
        READY,
        FAILED
    }

    /** A node's handoff progress ({@code GET /api/v1/node/handoff}). */
    /** A node's handoff; {@code rangesDone} of its {@code ranges} outgoing ranges are streamed. */
    record HandoffStatus(HandoffState state, long targetEpoch, long keysSent, long bytesSent, String error, int ranges,
            int rangesDone) {
        public HandoffStatus(HandoffState state, long targetEpoch, long keysSent, long bytesSent, String error) {
            this(state, targetEpoch, keysSent, bytesSent, error, 0, 0);
        }

        /** Share of the ranges streamed, 0..1; a READY handoff is complete. */
        double done() {
            if (state == HandoffState.READY) {
                return 1;
            }
            return ranges == 0 ? 0 : (double) rangesDone / ranges;
        }
    }

    /** The states of a node's repair, as the node reports them. */
    enum RepairState {
        RUNNING,
        DONE,
        FAILED
    }

    /**
     * A node's repair towards ring {@code epoch} ({@code GET /api/v1/node/repair}): of its
     * {@code ranges} to check, {@code rangesDone} are; {@code keys} and {@code bytes} were copied.
     *
     * @param error why it FAILED, else null
     */
    record RepairStatus(long epoch, RepairState state, int ranges, int rangesDone, long keys, long bytes,
            String error) {
        /** Share of the ranges repaired, 0..1; a DONE repair is complete. */
        double done() {
            if (state == RepairState.DONE) {
                return 1;
            }
            return ranges == 0 ? 0 : (double) rangesDone / ranges;
        }
    }

    /** {@code GET /api/v1/node}. */
    NodeInfo info(Member node);

    /** True when {@code GET /actuator/health/readiness} answers 200; false on any other answer or none. */
    boolean ready(Member node);

    /**
     * {@code PUT /api/v1/node/ring}: the node adopts the ring (or already has that epoch). A node
     * that already has a newer epoch refuses with a {@link NodeCallException}.
     */
    void putRing(Member node, RingView ring);

    /** {@code POST /api/v1/node/handoff}: the node starts streaming what it loses under {@code target}. */
    void startHandoff(Member node, RingView target);

    /** {@code GET /api/v1/node/handoff}. */
    HandoffStatus handoff(Member node);

    /** {@code DELETE /api/v1/node/handoff}: unlock and forget the handoff. */
    void abortHandoff(Member node);

    /**
     * {@code POST /api/v1/node/repair {"epoch": E}}: the node starts, or joins if it runs already,
     * its repair towards ring epoch {@code epoch}: every range the ring gives it gets its replicas
     * back. Answers 202.
     */
    void startRepair(Member node, long epoch);

    /** {@code GET /api/v1/node/repair}. */
    RepairStatus repair(Member node);

    /** {@code POST /api/v1/node/shutdown}: the node exits cleanly soon after answering. */
    void shutdown(Member node);
}
