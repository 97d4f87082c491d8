package io.ringkv.faults;

import io.ringkv.client.RequestNotSentException;
import io.ringkv.cluster.Peers;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import io.ringkv.ring.Member;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The node's links to its peers (forwards, handoff, later replication) put through the node's
 * {@link NetworkFaults} plan as TCP traffic to the member's data-plane address: the request is
 * outbound, the reply inbound. This is where one node is partitioned from another: a cut makes
 * every exchange with that member fail at once, as a refused connection does, while clients still
 * reach both nodes.
 *
 * <p>Fault model, per exchange. Request: lost (the exchange fails after {@code replyTimeoutMs}, as
 * a real unanswered request does), sent twice (the copy's reply is ignored; the owner's
 * at-most-once cache sees the same origin), delayed, or held for
 * {@link NetworkFaults#REORDER_HOLD_MS} so that later requests overtake it. Reply: lost (the
 * exchange fails when the reply timeout, counted from the request, runs out) or delayed; a
 * duplicated reply changes nothing, since the link hands each exchange one reply. Cut: fails with a
 * {@link RequestNotSentException} on the way out (the request never left, as when a connect is
 * refused), with a {@link ConnectException} on the way back (the request may have been executed). A failure of the link itself passes through untouched.
 *
 * <p>Thread-safe. Never blocks: waits are scheduled on the plan's {@link Delayer} and bounded by
 * {@link NetworkFaults#reserve}; an exchange that cannot wait fails at once.
 */
final class FaultyPeers implements Peers {
    private final Peers links;
    private final NetworkFaults faults;
    private final Delayer delayer;
    private final long replyTimeoutMs;

    FaultyPeers(Peers links, NetworkFaults faults, long replyTimeoutMs) {
        this.links = links;
        this.faults = faults;
        this.delayer = faults.delayer();
        this.replyTimeoutMs = replyTimeoutMs;
    }

    @Override
    public CompletableFuture<KVResponse> exchange(Member peer, KVRequest request) {
        InetSocketAddress address = new InetSocketAddress(peer.host(), peer.port());
        long startNanos = delayer.nanoTime();
        CompletableFuture<KVResponse> result = new CompletableFuture<>();
        int bytes = request.getSerializedSize();
        switch (faults.decide(Protocol.TCP, Direction.OUTBOUND, address)) {
            case Fate.Cut cut -> result.completeExceptionally(new RequestNotSentException(
                    "not sent to " + peer.address() + ": link cut by ringkv.faults", cut(peer)));
            case Fate.Drop drop -> failAtDeadline(result, peer, startNanos, "request", bytes);
            case Fate.Deliver deliver -> {
                if (deliver.copies() == 2) {
                    links.exchange(peer, request); // its reply, or failure, is nobody's
                }
                Runnable send = () -> links.exchange(peer, request).whenComplete((reply, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                    } else {
                        receive(result, peer, address, reply, startNanos);
                    }
                });
                later(result, send, waitMs(deliver), bytes);
            }
        }
        return result;
    }

    private void receive(CompletableFuture<KVResponse> result, Member peer, InetSocketAddress address,
            KVResponse reply, long startNanos) {
        int bytes = reply.getSerializedSize();
        switch (faults.decide(Protocol.TCP, Direction.INBOUND, address)) {
            case Fate.Cut cut -> result.completeExceptionally(cut(peer));
            case Fate.Drop drop -> failAtDeadline(result, peer, startNanos, "reply", bytes);
            case Fate.Deliver deliver -> later(result, () -> result.complete(reply), waitMs(deliver), bytes);
        }
    }

    private static long waitMs(Fate.Deliver deliver) {
        return deliver.hold() ? NetworkFaults.REORDER_HOLD_MS : deliver.delayMs();
    }

    /** Runs {@code task} after {@code delayMs}, within the bound on waiting messages; at once if no wait. */
    private void later(CompletableFuture<KVResponse> result, Runnable task, long delayMs, int bytes) {
        if (delayMs == 0) {
            task.run();
            return;
        }
        if (!faults.reserve(bytes)) {
            result.completeExceptionally(new TimeoutException("lost by ringkv.faults: too much held back already"));
            return;
        }
        try {
            delayer.schedule(() -> {
                faults.release(bytes);
                task.run();
            }, delayMs);
        } catch (RuntimeException e) {
            faults.release(bytes);
            result.completeExceptionally(e); // the delayer is closed: the node is shutting down
        }
    }

    /** Fails the exchange when the reply timeout, counted from the request, runs out. */
    private void failAtDeadline(CompletableFuture<KVResponse> result, Member peer, long startNanos, String what,
            int bytes) {
        long leftMs = Math.max(0, replyTimeoutMs - (delayer.nanoTime() - startNanos) / 1_000_000);
        TimeoutException timeout = new TimeoutException("no reply from " + peer.address() + " within "
                + replyTimeoutMs + " ms (" + what + " lost by ringkv.faults)");
        later(result, () -> result.completeExceptionally(timeout), Math.max(1, leftMs), bytes);
    }

    private static ConnectException cut(Member peer) {
        return new ConnectException("connection to " + peer.address() + " refused: link cut by ringkv.faults");
    }
}
