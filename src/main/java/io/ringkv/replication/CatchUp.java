package io.ringkv.replication;

import com.google.protobuf.ByteString;
import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Peers;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.ring.TokenRange;
import io.ringkv.ring.Transfer;
import io.ringkv.storage.StorageEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node that the cluster went on without gets back what it leads (design §5): without an
 * ECS there is no handoff before a ring change, so a node that rejoins after being declared dead
 * (its data stale, and wiped for that reason) becomes primary of ranges it does not hold. It pulls
 * each such range from the range's first other replica, which held it in the ring before, with
 * {@link Command#RANGE_PULL}; the source pushes every key as it stands there, through its key
 * chain, stamped with the shared ring's epoch. Until a range has arrived this node answers its
 * keys' reads and writes OVERLOAD ({@link #pending}), so it never serves or overwrites what it
 * has not got yet.
 *
 * <p>Why the pulled state is complete: the source serves a pull only at the puller's epoch, by
 * when it routes the range to the puller and takes no more writes of it as primary; writes it ran
 * before are waited for by the key chain. The puller takes no writes of a pending range, so
 * nothing pulled can overwrite a newer write.
 *
 * <p>Both sides live here: {@link #onRingAdopted} and {@link #pending} are the puller's,
 * {@link #serve} the source's. Only nodes without an ECS pull ({@code pulls}); any node serves.
 * Thread-safe: pulls run one at a time on a thread of their own.
 */
public final class CatchUp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
    /** Pulls one node serves at once; beyond it OVERLOAD (the puller tries again). */
    static final int SERVING_MAX = 8;
    /** Keys pushed and not yet acknowledged, per pull served. */
    static final int WINDOW = 64;
    /** How long one pull may take before the puller asks again (a range is a small share of a node). */
    static final long PULL_TIMEOUT_MS = 30_000;
    static final long RETRY_DELAY_MS = 250;
    /** Pulls this node has running at once; each source serves at most {@link #SERVING_MAX}. */
    static final int PULLS_IN_FLIGHT = 8;
    private static final KVResponse BUSY = KVResponse.newBuilder()
            .setErrCode(ErrorCode.OVERLOAD.code()).setOverloadWaitTime((int) RETRY_DELAY_MS).build();

    private final String selfId;
    private final ClusterState cluster;
    private final StorageEngine storage;
    private final Replicator replicator;
    private final Peers peers;
    private final boolean pulls;
    private final Semaphore serving = new Semaphore(SERVING_MAX);
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-catch-up").factory());
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong rangesPulled = new AtomicLong();
    private final AtomicLong keysServed = new AtomicLong();
    // Guarded by this.
    private Ring lastRing;
    /** This node's data is gone (wiped): everything it leads in its next ring must be pulled. */
    private volatile boolean stale;
    private volatile boolean held;
    private volatile List<Transfer> pending = List.of();

    public CatchUp(String selfId, ClusterState cluster, StorageEngine storage, Replicator replicator, Peers peers,
            boolean pulls) {
        this.selfId = selfId;
        this.cluster = cluster;
        this.storage = storage;
        this.replicator = replicator;
        this.peers = peers;
        this.pulls = pulls;
    }

    // ---- the puller's side ----

    /**
     * This node's data is no longer current (it is being wiped): from now until it adopts a ring
     * that names it, it serves none of its keys, and then pulls every range it leads.
     */
    public void expectStale() {
        stale = true;
    }

    /**
     * This node may be behind: it stalled for longer than a suspicion lasts, so the others may have
     * declared it dead and gone on without it. It serves none of its keys until {@link #release}
     * (its membership has heard the others by then and knows).
     */
    public void hold() {
        held = true;
    }

    public void release() {
        held = false;
    }

    /** Whether this node must not serve the position yet: it leads it but has not pulled it. */
    public boolean pending(long position) {
        if (stale || held) {
            return true;
        }
        for (Transfer t : pending) {
            if (t.range().contains(position)) {
                return true;
            }
        }
        return false;
    }

    /** Ranges still to pull. */
    public int rangesPending() {
        return stale ? -1 : pending.size();
    }

    public long rangesPulled() {
        return rangesPulled.get();
    }

    public long keysServed() {
        return keysServed.get();
    }

    /**
     * The node adopted a newer ring: works out what it now leads without having held it in the
     * ring before, and from whom to pull it (the range's primary in the ring before, which held it
     * and ordered its writes).
     */
    public synchronized void onRingAdopted(Ring next) {
        Ring before = lastRing;
        lastRing = next;
        if (!pulls || next == null || next.isEmpty() || next.member(selfId).isEmpty()) {
            return;
        }
        List<Transfer> all = new ArrayList<>(pending);
        // Stale data counts as none: everything this node leads comes from the others.
        Ring held = stale ? next.minus(selfId) : before;
        if (held != null && !held.isEmpty()) {
            // Per source, so that a range is pulled whole from one member that held all of it.
            for (Member source : held.members()) {
                String from = source.id();
                for (TokenRange r : Ring.rangesWhere(held, next, (was, now) -> leads(now) && !Ring.names(was, selfId)
                        && was.getFirst().id().equals(from))) {
                    all.add(new Transfer(r, from, selfId));
                }
            }
        }
        if (stale) {
            // Its backup ranges too, from their primaries: their range syncs may have pushed them
            // before the data was dropped (it can learn of its death after it is back in the ring).
            for (Member primary : next.members()) {
                String from = primary.id();
                for (TokenRange r : Ring.rangesWhere(null, next, (was, now) -> !leads(now)
                        && Ring.names(now, selfId) && now.getFirst().id().equals(from))) {
                    all.add(new Transfer(r, from, selfId));
                }
            }
        }
        pending = List.copyOf(all);
        stale = false;
        if (!all.isEmpty()) {
            long g = generation.incrementAndGet();
            log.info("ring epoch {}: pulling {} ranges this node replicates and does not hold", next.epoch(),
                    all.size());
            worker.execute(() -> pullAll(g, next));
        }
    }

    private boolean leads(List<Member> replicas) {
        return replicas.size() > 1 && replicas.getFirst().id().equals(selfId);
    }

    private void pullAll(long g, Ring ring) {
        long startedNanos = System.nanoTime();
        int done = 0;
        while (generation.get() == g && !pending.isEmpty()) {
            List<Transfer> batch = List.copyOf(pending.subList(0, Math.min(PULLS_IN_FLIGHT, pending.size())));
            List<CompletableFuture<Boolean>> pulls = new ArrayList<>(batch.size());
            for (Transfer transfer : batch) {
                pulls.add(pull(transfer, ring));
            }
            List<Transfer> failed = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                if (Boolean.TRUE.equals(pulls.get(i).join())) {
                    done++;
                    rangesPulled.incrementAndGet();
                } else {
                    failed.add(batch.get(i));
                }
            }
            synchronized (this) {
                if (generation.get() != g) {
                    return;
                }
                List<Transfer> left = new ArrayList<>(pending);
                left.removeAll(batch);
                left.addAll(failed); // last, so that one unreachable source does not hold up the others
                pending = List.copyOf(left);
            }
            if (!failed.isEmpty()) {
                sleep(RETRY_DELAY_MS);
            }
        }
        if (generation.get() == g) {
            log.info("ring epoch {}: pulled {} ranges in {} ms", ring.epoch(), done,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        }
    }

    /**
     * One range from the member that held it; completes with true when it has arrived (or is no
     * longer this node's), never exceptionally.
     */
    private CompletableFuture<Boolean> pull(Transfer transfer, Ring ring) {
        Ring current = cluster.ring();
        Ring by = current != null && current.epoch() > ring.epoch() ? current : ring;
        TokenRange range = transfer.range();
        List<Member> replicas = by.replicasOf(range.endInclusive());
        if (!Ring.names(replicas, selfId) || replicas.size() < 2) {
            return CompletableFuture.completedFuture(true); // no longer this node's; nothing waits for it here
        }
        // The member that held it; if it is gone from the ring too, the range's primary, or the next
        // replica when that is this node.
        Member fallback = leads(replicas) ? replicas.get(1) : replicas.getFirst();
        Member source = by.member(transfer.from()).filter(m -> Ring.names(replicas, m.id())).orElse(fallback);
        KVRequest request = KVRequest.newBuilder()
                .setCommand(Command.RANGE_PULL.code())
                .setKey(encode(range))
                .setValue(ByteString.copyFromUtf8(selfId))
                .setRingEpoch(by.epoch())
                .build();
        return peers.exchange(source, request).orTimeout(PULL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .handle((reply, failure) -> {
                    if (failure != null) {
                        log.debug("pull of {} from {} failed: {}", range, source.id(), failure.toString());
                        return false;
                    }
                    if (reply.getErrCode() != ErrorCode.SUCCESS.code()) {
                        log.debug("{} did not serve the pull of {}: {}", source.id(), range,
                                ErrorCode.of(reply.getErrCode()));
                        return false;
                    }
                    return true;
                });
    }

    // ---- the source's side ----

    /**
     * Serves a {@link Command#RANGE_PULL}: pushes every key of the range to the puller and answers
     * SUCCESS (with the count in {@code version}) when all have arrived. Refused with NOT_RESPONSIBLE
     * (and this node's ring) unless both sides route by the same ring, in which both are replicas of
     * the range.
     */
    public CompletionStage<KVResponse> serve(KVRequest request) {
        Ring ring = cluster.ring();
        if (request.getKey().size() != 2 * Long.BYTES) {
            return done(KVResponse.newBuilder().setErrCode(ErrorCode.INVALID_KEY.code()).build());
        }
        TokenRange range = decode(request.getKey());
        String puller = request.getValue().toStringUtf8();
        if (ring == null || ring.isEmpty() || !request.hasRingEpoch() || request.getRingEpoch() != ring.epoch()) {
            return done(notResponsible(ring));
        }
        List<Member> replicas = ring.replicasOf(range.endInclusive());
        if (!Ring.names(replicas, puller) || puller.equals(selfId) || !Ring.names(replicas, selfId)) {
            return done(notResponsible(ring));
        }
        if (!serving.tryAcquire()) {
            return done(BUSY);
        }
        CompletableFuture<KVResponse> reply = new CompletableFuture<>();
        List<Member> target = List.of(ring.member(puller).orElseThrow());
        Thread.ofVirtual().name("ringkv-range-serve").start(() -> {
            try {
                reply.complete(push(range, ring, target));
            } catch (RuntimeException e) {
                log.warn("serving the pull of {} to {} failed: {}", range, puller, e.toString());
                reply.complete(KVResponse.newBuilder().setErrCode(ErrorCode.INTERNAL_FAILURE.code()).build());
            } finally {
                serving.release();
            }
        });
        return reply;
    }

    private KVResponse push(TokenRange range, Ring ring, List<Member> target) {
        Semaphore window = new Semaphore(WINDOW);
        AtomicLong pushed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        storage.forEachInRange(range.startExclusive(), range.endInclusive(), (key, value, version) -> {
            acquire(window, 1);
            replicator.push(key, ring, target).whenComplete((ok, failure) -> {
                if (Boolean.TRUE.equals(ok)) {
                    pushed.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                window.release();
            });
        });
        acquire(window, WINDOW);
        keysServed.addAndGet(pushed.get());
        if (failed.get() > 0) {
            return KVResponse.newBuilder().setErrCode(ErrorCode.INTERNAL_FAILURE.code()).build();
        }
        return KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code())
                .setVersion((int) Math.min(Integer.MAX_VALUE, pushed.get())).build();
    }

    private static void acquire(Semaphore window, int permits) {
        try {
            if (!window.tryAcquire(permits, PULL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the puller acknowledged nothing for " + PULL_TIMEOUT_MS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static KVResponse notResponsible(Ring ring) {
        KVResponse.Builder reply = KVResponse.newBuilder().setErrCode(ErrorCode.NOT_RESPONSIBLE.code());
        if (ring != null) {
            reply.setRing(RingMessages.toInfo(ring));
        }
        return reply.build();
    }

    static ByteString encode(TokenRange range) {
        return ByteString.copyFrom(ByteBuffer.allocate(2 * Long.BYTES)
                .putLong(range.startExclusive()).putLong(range.endInclusive()).flip());
    }

    static TokenRange decode(ByteString key) {
        ByteBuffer bytes = key.asReadOnlyByteBuffer();
        return new TokenRange(bytes.getLong(), bytes.getLong());
    }

    private static CompletionStage<KVResponse> done(KVResponse reply) {
        return CompletableFuture.completedFuture(reply);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        generation.incrementAndGet();
        worker.shutdownNow();
    }
}
