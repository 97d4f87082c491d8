package io.ringkv.replication;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.Versioned;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's side of a key's replication, and the backup's fence (design §5).
 *
 * <p><b>Writes.</b> The primary runs a key's operations one at a time ({@link KeyChain}): it
 * applies the write to its own engine, then sends the key's new state to every backup of the
 * key's replica set (STORE_PUT or STORE_REMOVE stamped with its ring epoch) in parallel, and
 * answers the client only when every backup acknowledged. Waiting for all of them, not just a
 * majority, is what lets any single surviving replica serve every acknowledged write after up to
 * RF−1 failures. A primary cut off from a backup cannot acknowledge, so nothing acknowledged is
 * lost on the minority side of a partition.
 *
 * <p><b>Held writes.</b> A backup that refuses or does not answer does not end the write at once:
 * the primary holds it (and the key's later operations behind it) and sends the state again to the
 * backups that lack it, after a short pause or as soon as it adopts a new ring. Under a new ring the
 * key's replica set there is used, while this node is still its primary, so a write caught by a
 * backup's failure completes once the ring without that backup arrives: the majority side of a
 * partition keeps acknowledging through a failover. Only when the timeout passes, or the new ring
 * gives the key to another primary, does the client get no reply (the outcome is unknown, never a
 * false failure); the key is then <i>suspect</i>: its state here may be on some replicas only.
 *
 * <p><b>Reads</b> are served by the primary after the key's running write. A suspect key, or a key
 * of a range whose replicas are being brought in line ({@link RangeSync}), is first pushed to every
 * backup as it stands here, so a read never returns a state that a failure could take back.
 *
 * <p><b>The fence.</b> A backup applies a replicated write only when it is stamped with the epoch
 * the backup routes by and the backup is a replica of the key in that ring. An older stamp means
 * the sender is no longer primary (the answer carries the newer ring, which it adopts); a newer one
 * means the backup has not learned the ring yet: it answers with its own, and the primary sends
 * the write again with its ring attached.
 *
 * <p>Thread-safe; nothing here blocks the calling event loop.
 */
public final class Replicator {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    /** Suspect keys remembered one by one; past it every read pushes until a full range sync ends. */
    static final int SUSPECT_KEYS_MAX = 50_000;
    /**
     * Suspect keys pushed again per round of {@link #retrySuspects}. A round's pushes run together
     * and wait on one timeout, so this bounds the burst a backup that comes back receives.
     */
    static final int RETRY_KEYS_MAX = 1_024;
    /** The first pause before a held write is sent again; it doubles up to {@link #HOLD_PAUSE_MS_MAX}. */
    static final long HOLD_PAUSE_MS_MIN = 50;
    static final long HOLD_PAUSE_MS_MAX = 400;

    private final String selfId;
    private final ClusterState cluster;
    private final StorageEngine storage;
    private final Peers peers;
    private final long timeoutMs;
    private final Executor executor;
    private final KeyChain chain;
    /** Completed, and replaced, each time the node adopts a ring: held writes wait on it. */
    private final AtomicReference<CompletableFuture<Void>> nextRing = new AtomicReference<>(new CompletableFuture<>());
    private final Set<ByteBuffer> suspects = ConcurrentHashMap.newKeySet();
    /** Non-zero while suspects overflowed: every read pushes until a full sync started after it ends. */
    private final AtomicLong overflowedAt = new AtomicLong();
    private final AtomicLong writesUnknown = new AtomicLong();
    private volatile RangeSync sync;

    public Replicator(String selfId, ClusterState cluster, StorageEngine storage, Peers peers, long timeoutMs,
            Executor executor) {
        this.selfId = selfId;
        this.cluster = cluster;
        this.storage = storage;
        this.peers = peers;
        this.timeoutMs = timeoutMs;
        this.executor = executor;
        this.chain = new KeyChain(executor);
        cluster.onAdopted(ring -> nextRing.getAndSet(new CompletableFuture<>()).complete(null));
    }

    void attach(RangeSync rangeSync) {
        this.sync = rangeSync;
    }

    /**
     * A client's PUT or REMOVE at the key's primary: {@code local} applies it here, then the new
     * state goes to the backups, held until every backup of the key's current ring has it. Completes
     * with the local reply then, or with null (no reply: unknown outcome) when the timeout passed or
     * another node became the key's primary first.
     */
    public CompletionStage<KVResponse> write(KVRequest request, Ring ring, List<Member> replicas,
            Supplier<CompletionStage<KVResponse>> local) {
        byte[] key = request.getKey().toByteArray();
        return chain.exclusive(ByteBuffer.wrap(key), () -> local.get().thenCompose(reply -> {
            boolean removed = request.getCommand() == Command.REMOVE.code();
            boolean applied = reply.getErrCode() == ErrorCode.SUCCESS.code()
                    // Absent here: make sure it is absent everywhere, then say so.
                    || (removed && reply.getErrCode() == ErrorCode.NO_SUCH_KEY.code());
            if (!applied) {
                return CompletableFuture.completedFuture(reply);
            }
            KVRequest state = removed
                    ? storeRemove(request.getKey())
                    : storePut(request.getKey(), request.getValue(), request.getVersion());
            long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            return hold(key, state, ring, replicas, ConcurrentHashMap.newKeySet(), deadlineNanos, 0).thenApply(ok -> {
                settle(ByteBuffer.wrap(key), ok);
                if (!ok) {
                    writesUnknown.incrementAndGet();
                }
                return ok ? reply : null;
            });
        }));
    }

    /** A client's GET at the key's primary ({@code local} reads the engine). Null means no reply. */
    public CompletionStage<KVResponse> read(KVRequest request, Ring ring, List<Member> replicas,
            Supplier<CompletionStage<KVResponse>> local) {
        byte[] key = request.getKey().toByteArray();
        ByteBuffer k = ByteBuffer.wrap(key);
        RangeSync running = sync;
        boolean pushFirst = suspects.contains(k) || overflowedAt.get() != 0
                || (running != null && running.covers(RingPosition.of(key)));
        if (!pushFirst) {
            return chain.after(k, local);
        }
        return chain.exclusive(k, () -> pushNow(key, ring, replicas).thenCompose(ok -> ok
                ? local.get()
                : CompletableFuture.completedFuture(null)));
    }

    /** Sends the key's state here to its backups, after its running write; true when all have it. */
    CompletionStage<Boolean> push(byte[] key, Ring ring, List<Member> replicas) {
        return chain.exclusive(ByteBuffer.wrap(key), () -> pushNow(key, ring, replicas));
    }

    private CompletionStage<Boolean> pushNow(byte[] key, Ring ring, List<Member> replicas) {
        Versioned current;
        try {
            current = storage.get(key);
        } catch (RuntimeException e) {
            log.warn("cannot read a key to push it to its backups: {}", e.toString());
            return CompletableFuture.completedFuture(false);
        }
        ByteString k = ByteString.copyFrom(key);
        KVRequest state = current == null
                ? storeRemove(k)
                : storePut(k, ByteString.copyFrom(current.value()), current.version());
        return replicate(key, state, ring, replicas);
    }

    /**
     * The retry queue for briefly unreachable backups (design §5): pushes up to
     * {@link #RETRY_KEYS_MAX} suspect keys to their replicas again, as they stand here, so that a
     * backup that missed a write for a moment gets it back without waiting for a read of the key or
     * a ring change. A key this node no longer leads is forgotten: its new primary's range sync
     * covers it. Completes when every push of the round has an answer, with the number of keys
     * that are in step again.
     */
    public CompletionStage<Integer> retrySuspects() {
        Ring ring = cluster.ring();
        if (suspects.isEmpty() || ring == null || ring.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        List<CompletableFuture<Boolean>> pushes = new ArrayList<>();
        for (ByteBuffer k : suspects) {
            if (pushes.size() == RETRY_KEYS_MAX) {
                break;
            }
            byte[] key = k.array(); // suspects hold whole wrapped keys
            List<Member> replicas = ring.replicasOf(RingPosition.of(key));
            if (!replicas.getFirst().id().equals(selfId)) {
                suspects.remove(k);
                continue;
            }
            pushes.add(push(key, ring, replicas).toCompletableFuture());
        }
        return CompletableFuture.allOf(pushes.toArray(CompletableFuture<?>[]::new))
                .thenApply(ignored -> (int) pushes.stream().filter(p -> p.join()).count());
    }

    /** Keys whose state here may be on some replicas only: their next read pushes first. */
    public int suspectKeys() {
        return suspects.size();
    }

    public long writesUnknown() {
        return writesUnknown.get();
    }

    /** A full range sync that started at {@code startedNanos} ended: suspects older than it are cured. */
    void fullSyncEnded(long startedNanos) {
        long at = overflowedAt.get();
        if (at != 0 && at - startedNanos < 0) {
            overflowedAt.compareAndSet(at, 0);
        }
    }

    /** Sends the key's state to its backups once; true when all have it. Marks the key suspect or cured. */
    private CompletionStage<Boolean> replicate(byte[] key, KVRequest state, Ring ring, List<Member> replicas) {
        return sendAll(state, ring, replicas, ConcurrentHashMap.newKeySet(), timeoutMs).thenApply(ok -> {
            settle(ByteBuffer.wrap(key), ok);
            return ok;
        });
    }

    /**
     * One round of a held write (see the class comment): sends the state to the backups not in
     * {@code acked}, then either ends (all have it, or time is up) or goes on after a pause, and at
     * once when a ring is adopted meanwhile, under that ring if this node still leads the key in it.
     * Never completes exceptionally.
     */
    private CompletableFuture<Boolean> hold(byte[] key, KVRequest state, Ring ring, List<Member> replicas,
            Set<String> acked, long deadlineNanos, int round) {
        CompletableFuture<Void> ringAdopted = nextRing.get();
        CompletableFuture<Boolean> sent = sendAll(state, ring, replicas, acked, msLeft(deadlineNanos));
        // TRUE or FALSE ends the write; null goes on with another round.
        CompletableFuture<Boolean> roundEnd = sent.thenCompose(ok -> {
            long leftMs = msLeft(deadlineNanos);
            if (ok || leftMs <= 0) {
                return CompletableFuture.completedFuture(ok);
            }
            long pauseMs = Math.min(leftMs, Math.min(HOLD_PAUSE_MS_MIN << Math.min(round, 4), HOLD_PAUSE_MS_MAX));
            CompletableFuture<Void> pause = CompletableFuture.runAsync(() -> {},
                    CompletableFuture.delayedExecutor(pauseMs, TimeUnit.MILLISECONDS, executor));
            return pause.applyToEither(ringAdopted, ignored -> (Boolean) null);
        });
        return roundEnd.applyToEither(ringAdopted.thenApply(ignored -> (Boolean) null), ended -> ended)
                .thenComposeAsync(ended -> {
                    if (ended != null) {
                        return CompletableFuture.completedFuture(ended);
                    }
                    if (msLeft(deadlineNanos) <= 0) {
                        return CompletableFuture.completedFuture(false);
                    }
                    Ring now = cluster.ring();
                    if (now == null || now.isEmpty()) {
                        return CompletableFuture.completedFuture(false);
                    }
                    if (now.epoch() <= ring.epoch()) {
                        return hold(key, state, ring, replicas, acked, deadlineNanos, round + 1);
                    }
                    List<Member> nowReplicas = now.replicasOf(RingPosition.of(key));
                    if (!nowReplicas.getFirst().id().equals(selfId)) {
                        // Another primary leads the key now; its repair brings the replicas in line.
                        return CompletableFuture.completedFuture(false);
                    }
                    return hold(key, state, now, nowReplicas, ConcurrentHashMap.newKeySet(), deadlineNanos, round + 1);
                }, executor)
                .exceptionally(failure -> {
                    log.debug("a held write ended: {}", failure.toString()); // the executor closed: shutting down
                    return false;
                });
    }

    private static long msLeft(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /**
     * Sends the state, stamped with the ring's epoch, to every backup of {@code replicas} not in
     * {@code acked}, adding those that acknowledge; true when every backup is then in it.
     */
    private CompletableFuture<Boolean> sendAll(KVRequest state, Ring ring, List<Member> replicas, Set<String> acked,
            long sendTimeoutMs) {
        KVRequest stamped = state.toBuilder().setRingEpoch(ring.epoch()).build();
        List<CompletableFuture<Boolean>> sends = new ArrayList<>(replicas.size());
        for (Member backup : replicas) {
            if (!backup.id().equals(selfId) && !acked.contains(backup.id())) {
                sends.add(send(backup, stamped, ring, true, Math.max(1, sendTimeoutMs)).thenApply(ok -> {
                    if (ok) {
                        acked.add(backup.id());
                    }
                    return ok;
                }));
            }
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture<?>[]::new))
                .thenApply(ignored -> sends.stream().allMatch(CompletableFuture::join));
    }

    private void settle(ByteBuffer key, boolean inStep) {
        if (inStep) {
            suspects.remove(key);
        } else {
            suspect(key);
        }
    }

    /** One backup's acknowledgement: true when it has the state; never completes exceptionally. */
    private CompletableFuture<Boolean> send(Member backup, KVRequest request, Ring ring, boolean mayRetry,
            long sendTimeoutMs) {
        return peers.exchange(backup, request).orTimeout(sendTimeoutMs, TimeUnit.MILLISECONDS)
                .handle((reply, failure) -> {
                    if (failure != null) {
                        log.debug("replication to {} failed: {}", backup.id(), failure.toString());
                        return CompletableFuture.completedFuture(false);
                    }
                    int code = reply.getErrCode();
                    if (code == ErrorCode.SUCCESS.code()
                            || (code == ErrorCode.NO_SUCH_KEY.code() && request.getCommand() == Command.STORE_REMOVE.code())) {
                        return CompletableFuture.completedFuture(true);
                    }
                    if (code == ErrorCode.NOT_RESPONSIBLE.code() && reply.hasRing()) {
                        Ring theirs = RingMessages.fromInfo(reply.getRing());
                        if (theirs.epoch() > ring.epoch()) {
                            // A newer ring exists: this node may no longer be the primary.
                            cluster.adoptFromPeer(theirs);
                            return CompletableFuture.completedFuture(false);
                        }
                        if (theirs.epoch() < ring.epoch() && mayRetry) {
                            KVRequest withRing = request.toBuilder().setRing(RingMessages.toInfo(ring)).build();
                            return send(backup, withRing, ring, false, sendTimeoutMs);
                        }
                    }
                    log.debug("{} refused a replicated write: {}", backup.id(), ErrorCode.of(code));
                    return CompletableFuture.completedFuture(false);
                }).thenCompose(x -> x);
    }

    private void suspect(ByteBuffer key) {
        if (suspects.size() < SUSPECT_KEYS_MAX) {
            suspects.add(key);
        } else if (overflowedAt.compareAndSet(0, System.nanoTime() | 1)) {
            log.warn("more than {} keys failed to replicate; every read pushes its key until a full range sync ends",
                    SUSPECT_KEYS_MAX);
            RangeSync running = sync;
            if (running != null) {
                running.requestFull();
            }
        }
    }

    /**
     * The backup's check of a STORE_PUT or STORE_REMOVE: null when it may be applied here, or the
     * reply that refuses it. Requests without an epoch are range streams of a handoff, which the
     * ECS orders, and are applied.
     */
    public KVResponse fence(KVRequest request) {
        if (!request.hasRingEpoch()) {
            return null;
        }
        Ring ring = cluster.ring();
        if (request.getRingEpoch() > cluster.epoch() && request.hasRing()) {
            try {
                Ring theirs = RingMessages.fromInfo(request.getRing());
                if (theirs.epoch() == request.getRingEpoch()) {
                    cluster.adoptFromPeer(theirs);
                    ring = cluster.ring();
                }
            } catch (IllegalArgumentException e) {
                log.warn("a primary sent an invalid ring: {}", e.getMessage());
            }
        }
        if (ring == null || ring.isEmpty() || request.getRingEpoch() != ring.epoch()
                || !Ring.names(ring.replicasOf(RingPosition.of(request.getKey().toByteArray())), selfId)) {
            KVResponse.Builder refusal = KVResponse.newBuilder().setErrCode(ErrorCode.NOT_RESPONSIBLE.code());
            if (ring != null) {
                refusal.setRing(RingMessages.toInfo(ring));
            }
            return refusal.build();
        }
        return null;
    }

    static KVRequest storePut(ByteString key, ByteString value, int version) {
        return KVRequest.newBuilder().setCommand(Command.STORE_PUT.code()).setKey(key).setValue(value)
                .setVersion(version).build();
    }

    static KVRequest storeRemove(ByteString key) {
        return KVRequest.newBuilder().setCommand(Command.STORE_REMOVE.code()).setKey(key).build();
    }
}
