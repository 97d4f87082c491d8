package io.ringkv.ecs;

import io.ringkv.ecs.NodeClient.HandoffState;
import io.ringkv.ecs.NodeClient.HandoffStatus;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Drives the nodes through the data-moving half of a {@link RingChange}: every source streams what
 * it loses to the new owners and reports READY (write-locked, caught up), or the handoff is
 * aborted on every source. Then, after the caller has committed the new ring, publishes it in the
 * change's order. Blocking; called from the operation thread only.
 */
final class HandoffDriver {
    /**
     * Consecutive failed polls of one node tolerated before the handoff is given up: a node busy
     * streaming may miss a poll's timeout, a node that is gone misses all of them.
     */
    static final int POLL_FAILURES_MAX = 20;

    private final NodeClient nodes;
    private final InstantSource clock;
    private final Pacer pacer;
    private final Duration handoffTimeout;
    private final Duration poll;
    private final Duration gainerPublishTimeout;
    private final int pushFanout;

    HandoffDriver(NodeClient nodes, InstantSource clock, Pacer pacer, Duration handoffTimeout, Duration poll,
            Duration gainerPublishTimeout, int pushFanout) {
        this.nodes = nodes;
        this.clock = clock;
        this.pacer = pacer;
        this.handoffTimeout = handoffTimeout;
        this.poll = poll;
        this.gainerPublishTimeout = gainerPublishTimeout;
        this.pushFanout = pushFanout;
    }

    /**
     * Tells the joining nodes the current ring (so they forward correctly until the switch), starts
     * the handoff on every source and waits until all are READY for {@code change.after()}.
     * Progress goes to {@code run}, on top of {@code keysBefore}/{@code bytesBefore} moved by
     * earlier changes of the same operation. On any failure every source's handoff is aborted and
     * an {@link OperationFailure} says why; the ring is then unchanged everywhere.
     */
    void handOff(OperationRun run, RingChange change, long keysBefore, long bytesBefore) {
        long epoch = change.after().epoch();
        RingView target = RingView.of(change.after());
        try {
            if (!change.before().isEmpty()) {
                for (Member joining : change.joining()) {
                    run.step("sending the current ring (epoch " + change.before().epoch() + ") to joining node "
                            + joining.id());
                    nodes.putRing(joining, RingView.of(change.before()));
                }
            }
            if (change.sources().isEmpty()) {
                return;
            }
            run.step("starting the handoff to epoch " + epoch + " on " + ids(change.sources()));
            for (Member source : change.sources()) {
                nodes.startHandoff(source, target);
            }
            await(run, change, keysBefore, bytesBefore);
        } catch (NodeCallException | OperationFailure | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            abort(run, change.sources());
            throw new OperationFailure("handoff to epoch " + epoch + " failed: " + e.getMessage(), e);
        }
    }

    private void await(OperationRun run, RingChange change, long keysBefore, long bytesBefore)
            throws InterruptedException {
        long epoch = change.after().epoch();
        Instant deadline = clock.instant().plus(handoffTimeout);
        Map<String, Integer> failedPolls = new HashMap<>();
        Map<String, HandoffStatus> last = new HashMap<>();
        while (true) {
            for (Member source : change.sources()) {
                try {
                    HandoffStatus status = nodes.handoff(source);
                    failedPolls.remove(source.id());
                    last.put(source.id(), status);
                    if (status.state() == HandoffState.FAILED) {
                        throw new OperationFailure("node " + source.id() + " reports its handoff FAILED: "
                                + status.error());
                    }
                } catch (NodeCallException e) {
                    if (failedPolls.merge(source.id(), 1, Integer::sum) >= POLL_FAILURES_MAX) {
                        throw new OperationFailure(POLL_FAILURES_MAX + " polls in a row failed: " + e.getMessage(), e);
                    }
                }
            }
            long keys = last.values().stream().mapToLong(HandoffStatus::keysSent).sum();
            long bytes = last.values().stream().mapToLong(HandoffStatus::bytesSent).sum();
            double done = change.sources().stream()
                    .mapToDouble(m -> last.containsKey(m.id()) ? last.get(m.id()).done() : 0).average().orElse(1);
            run.moved(keysBefore + keys, bytesBefore + bytes, (int) (done * 100));
            List<String> waiting = new ArrayList<>();
            for (Member source : change.sources()) {
                HandoffStatus status = last.get(source.id());
                if (status == null || status.state() != HandoffState.READY || status.targetEpoch() != epoch) {
                    waiting.add(source.id() + (status == null ? " (no answer yet)" : " (" + status.state() + ")"));
                }
            }
            if (waiting.isEmpty()) {
                run.step("handoff to epoch " + epoch + " READY on " + ids(change.sources()) + ": " + keys
                        + " keys, " + bytes + " bytes");
                return;
            }
            if (!clock.instant().isBefore(deadline)) {
                throw new OperationFailure("not READY within " + handoffTimeout + " (ringkv.ecs.handoff-timeout): "
                        + String.join(", ", waiting));
            }
            run.step("handoff to epoch " + epoch + ": waiting for " + String.join(", ", waiting) + "; " + keys
                    + " keys, " + bytes + " bytes sent");
            pacer.pause(poll);
        }
    }

    /** Unlocks the sources: best effort, each failure recorded (a node that restarts forgets its handoff). */
    void abort(OperationRun run, List<Member> sources) {
        for (Member source : sources) {
            try {
                nodes.abortHandoff(source);
            } catch (NodeCallException e) {
                run.error("abort: " + e.getMessage());
            }
        }
    }

    /**
     * Publishes the committed ring in the change's order. A gainer is retried until
     * {@code gainerPublishTimeout}, because it must serve its new ranges before the old owners let
     * go of them; anyone else gets one try, and {@code lagging} hears of the failures so that they
     * are retried in the background (nodes also pull the ring).
     */
    void publish(OperationRun run, RingChange change, BiConsumer<String, Long> confirmed) throws InterruptedException {
        Ring ring = change.after();
        RingView view = RingView.of(ring);
        run.step("publishing the ring at epoch " + ring.epoch());
        int others = 0;
        for (Member member : change.publishOrder()) {
            boolean gainer = change.gainers().contains(member);
            if (!gainer && !change.leaving().contains(member) && pushFanout > 0 && others++ >= pushFanout) {
                continue; // it learns the ring from its peers' gossip, or its next heartbeat reply
            }
            Instant deadline = clock.instant().plus(gainerPublishTimeout);
            while (true) {
                try {
                    nodes.putRing(member, view);
                    confirmed.accept(member.id(), ring.epoch());
                    break;
                } catch (NodeCallException e) {
                    if (!gainer || !clock.instant().isBefore(deadline)) {
                        run.error("publish: " + e.getMessage() + "; retried in the background");
                        break;
                    }
                    pacer.pause(poll);
                }
            }
        }
    }

    private static String ids(List<Member> members) {
        return String.join(", ", members.stream().map(Member::id).toList());
    }
}
