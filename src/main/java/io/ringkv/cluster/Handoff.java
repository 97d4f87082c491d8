package io.ringkv.cluster;

import com.google.protobuf.ByteString;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import io.ringkv.ring.Transfer;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.StampedLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the ranges this node is losing to their new owners (design §4), in three steps:
 *
 * <ol>
 *   <li><b>Streaming.</b> Every live record of each outgoing range is sent to its new owner as
 *       STORE_PUT, a window of {@link #WINDOW} at a time, while clients keep writing. Keys written
 *       in an outgoing range from the moment the handoff started are remembered (dirty).
 *   <li><b>Lock.</b> Writes to the outgoing ranges are refused from now on (the caller answers
 *       OVERLOAD or WRITE_LOCKED, which clients retry); writes already running are waited for.
 *       Every dirty key is sent again as it now stands (STORE_PUT, or STORE_REMOVE when gone), and
 *       the handoff is READY. Reads keep being served here.
 *   <li><b>Switch.</b> When the node adopts the target ring, the lock is lifted (requests for those
 *       ranges now go to their new owners); what this node no longer keeps is dropped by the
 *       replication layer ({@link #onRingAdopted} says whether that is safe).
 * </ol>
 *
 * <p>Why this is safe: after the lock no write can change an outgoing key here, and every key
 * written since the stream began is re-sent after the lock, so the new owner ends with exactly the
 * last acknowledged state of every key. A write that began before the handoff started is waited
 * for before streaming begins ({@link #writeGate}).
 *
 * <p>Thread-safety: {@link #tryBeginWrite} and {@link #endWrite} are called from event loops and
 * never block; the steps run on a thread of their own.
 */
public final class Handoff {
    private static final Logger log = LoggerFactory.getLogger(Handoff.class);
    /** STORE_PUTs in flight to one peer: enough to fill a loopback or LAN pipe, bounded in memory. */
    static final int WINDOW = 128;
    /** Writes remembered during streaming; beyond it the handoff fails rather than grow unbounded. */
    static final int DIRTY_KEYS_MAX = 1_000_000;
    /** How long one record may wait for its new owner's acknowledgement. */
    static final long ACK_TIMEOUT_MS = 10_000;

    /** What the handoff is doing. */
    public enum State {
        IDLE,
        STREAMING,
        READY,
        FAILED
    }

    /** What the handoff reports: progress of the current (or last) one. */
    public record Status(State state, long targetEpoch, long keysSent, long bytesSent, int ranges, int rangesDone,
            String error) {}

    private final String selfId;
    private final StorageEngine storage;
    private final Peers peers;
    /** Write stamps are held for the duration of a local write in a cluster; the steps take it exclusively. */
    private final StampedLock writeGate = new StampedLock();
    private final AtomicLong keysSent = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger rangesDone = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicReference<String> error = new AtomicReference<>();

    // Guarded by this; read without the lock through the volatile fields below.
    private volatile State state = State.IDLE;
    private volatile Plan plan;
    private volatile boolean locked;
    private final Set<ByteBuffer> dirty = ConcurrentHashMap.newKeySet();
    private volatile boolean dirtyOverflow;
    /** Set while a step waits for running writes: new ones are refused so that the wait ends. */
    private volatile boolean draining;

    /** The outgoing transfers of one handoff. */
    private record Plan(Ring target, List<Transfer> outgoing) {
        boolean covers(long position) {
            for (Transfer t : outgoing) {
                if (t.range().contains(position)) {
                    return true;
                }
            }
            return false;
        }
    }

    public Handoff(String selfId, StorageEngine storage, Peers peers) {
        this.selfId = selfId;
        this.storage = storage;
        this.peers = peers;
    }

    /**
     * Starts handing over what {@code current} gives this node and {@code target} does not. The
     * same target again is a no-op that reports progress; another target while one runs is refused.
     */
    public synchronized Status start(Ring current, Ring target) {
        Plan running = plan;
        if (running != null && state != State.IDLE) {
            if (running.target().epoch() == target.epoch()) {
                return status();
            }
            throw new IllegalStateException("a handoff to epoch " + running.target().epoch()
                    + " is " + state + "; abort it first");
        }
        if (target.epoch() <= current.epoch()) {
            throw new IllegalArgumentException("target epoch " + target.epoch() + " is not newer than the current "
                    + current.epoch());
        }
        List<Transfer> outgoing = Ring.transfers(current, target).stream()
                .filter(t -> t.from().equals(selfId)).toList();
        keysSent.set(0);
        bytesSent.set(0);
        rangesDone.set(0);
        error.set(null);
        dirty.clear();
        dirtyOverflow = false;
        locked = false;
        plan = new Plan(target, outgoing);
        if (outgoing.isEmpty()) {
            state = State.READY;
            return status();
        }
        state = State.STREAMING;
        Plan started = plan;
        Thread.ofPlatform().daemon().name("ringkv-handoff-" + target.epoch()).start(() -> run(started));
        log.info("handoff to epoch {}: streaming {} ranges to {}", target.epoch(), outgoing.size(),
                outgoing.stream().map(Transfer::to).distinct().toList());
        return status();
    }

    public Status status() {
        Plan p = plan;
        return new Status(state, p == null ? 0 : p.target().epoch(), keysSent.get(), bytesSent.get(),
                p == null ? 0 : p.outgoing().size(), rangesDone.get(), error.get());
    }

    /** Abandons the handoff: writes are accepted again and nothing is dropped. */
    public synchronized Status abort() {
        if (plan != null && state != State.IDLE) {
            log.warn("handoff to epoch {} aborted in state {}", plan.target().epoch(), state);
        }
        locked = false;
        state = State.IDLE;
        dirty.clear();
        return status();
    }

    /**
     * Whether a local write to this position may go ahead now; if so, the caller must call
     * {@link #endWrite} exactly once when the write completed (durable or failed). False while the
     * position's range is locked or a step is draining writes: the caller answers "retry shortly".
     */
    public long tryBeginWrite(long position) {
        if (draining) {
            return 0;
        }
        long stamp = writeGate.tryReadLock();
        if (stamp == 0) {
            return 0;
        }
        Plan p = plan;
        if (locked && p != null && state != State.IDLE && p.covers(position)) {
            writeGate.unlockRead(stamp);
            return 0;
        }
        return stamp;
    }

    /** Ends a write admitted by {@link #tryBeginWrite}, remembering its key when a handoff needs it. */
    public void endWrite(long stamp, long position, ByteString key) {
        try {
            Plan p = plan;
            if (state == State.STREAMING && p != null && p.covers(position)) {
                if (dirty.size() < DIRTY_KEYS_MAX) {
                    dirty.add(ByteBuffer.wrap(key.toByteArray()));
                } else {
                    dirtyOverflow = true;
                }
            }
        } finally {
            writeGate.unlockRead(stamp);
        }
    }

    /** What adopting a ring meant for the handoff. */
    public enum Switch {
        /** No handoff was under way towards this ring. */
        NONE,
        /** The handoff to this ring was READY: its ranges are with their new replicas. */
        COMPLETE,
        /** A handoff was under way but not READY: its ranges may exist only here, keep them. */
        INCOMPLETE
    }

    /**
     * Called when the node adopts a ring: the handoff to it (or past it) is over, and the lock is
     * lifted. What the node may drop is decided by the caller from the answer.
     */
    public Switch onRingAdopted(Ring ring) {
        synchronized (this) {
            Plan p = plan;
            if (p == null || state == State.IDLE || ring.epoch() < p.target().epoch()) {
                return Switch.NONE;
            }
            boolean complete = state == State.READY;
            locked = false;
            state = State.IDLE;
            dirty.clear();
            if (!complete) {
                log.warn("ring epoch {} adopted while the handoff to epoch {} was {}; nothing is dropped",
                        ring.epoch(), p.target().epoch(), status().state());
                return Switch.INCOMPLETE;
            }
            return Switch.COMPLETE;
        }
    }

    private void run(Plan p) {
        try {
            // Writes that began before the handoff are not tracked as dirty: wait them out first.
            drainWrites();
            for (Transfer t : p.outgoing()) {
                Member to = p.target().member(t.to()).orElseThrow();
                stream(t.range(), to);
                rangesDone.incrementAndGet();
            }
            drainWritesAnd(() -> locked = true);
            if (dirtyOverflow) {
                throw new IllegalStateException("more than " + DIRTY_KEYS_MAX + " keys written during the handoff");
            }
            resendDirty(p);
            synchronized (this) {
                if (plan == p && state == State.STREAMING) {
                    state = State.READY;
                }
            }
            log.info("handoff to epoch {} ready: {} keys, {} bytes sent; outgoing ranges locked",
                    p.target().epoch(), keysSent.get(), bytesSent.get());
        } catch (RuntimeException | InterruptedException e) {
            error.set(e.toString());
            synchronized (this) {
                if (plan == p && state == State.STREAMING) {
                    state = State.FAILED;
                    locked = false;
                }
            }
            log.error("handoff to epoch {} failed", p.target().epoch(), e);
        }
    }

    private void drainWrites() {
        drainWritesAnd(() -> {});
    }

    /** Refuses new writes, waits for the running ones (each holds a read stamp), then runs step. */
    private void drainWritesAnd(Runnable step) {
        draining = true;
        try {
            long stamp = writeGate.writeLock();
            try {
                step.run();
            } finally {
                writeGate.unlockWrite(stamp);
            }
        } finally {
            draining = false;
        }
    }

    private void stream(TokenRange range, Member to) throws InterruptedException {
        Window window = new Window();
        storage.forEachInRange(range.startExclusive(), range.endInclusive(),
                (key, value, version) -> window.send(to, KVRequest.newBuilder()
                        .setCommand(Command.STORE_PUT.code())
                        .setKey(ByteString.copyFrom(key))
                        .setValue(ByteString.copyFrom(value))
                        .setVersion(version)
                        .build()));
        window.awaitAll();
    }

    private void resendDirty(Plan p) throws InterruptedException {
        Window window = new Window();
        for (ByteBuffer k : dirty) {
            byte[] key = new byte[k.remaining()];
            k.duplicate().get(key);
            long position = RingPosition.of(key);
            Versioned current = storage.get(key);
            KVRequest.Builder request = KVRequest.newBuilder().setKey(ByteString.copyFrom(key));
            if (current == null) {
                request.setCommand(Command.STORE_REMOVE.code());
            } else {
                request.setCommand(Command.STORE_PUT.code()).setValue(ByteString.copyFrom(current.value()))
                        .setVersion(current.version());
            }
            KVRequest state = request.build();
            // Every member that gains the key's range gets it again (one per new replica).
            for (Transfer t : p.outgoing()) {
                if (t.range().contains(position)) {
                    window.send(p.target().member(t.to()).orElseThrow(), state);
                }
            }
        }
        window.awaitAll();
    }

    /** At most {@link #WINDOW} requests in flight; the first failure fails the handoff. */
    private final class Window {
        private final Semaphore slots = new Semaphore(WINDOW);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        void send(Member to, KVRequest request) {
            try {
                if (!slots.tryAcquire(ACK_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("no acknowledgement from " + to.id() + " for " + ACK_TIMEOUT_MS + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            check();
            deliver(to, request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_TIMEOUT_MS));
        }

        /**
         * Sends one record; an OVERLOAD (the target is busy, e.g. still dropping ranges it lost
         * earlier) is sent again after the wait it asks for, until the deadline.
         */
        private void deliver(Member to, KVRequest request, long deadlineNanos) {
            int bytes = request.getKey().size() + request.getValue().size();
            peers.exchange(to, request).whenComplete((response, e) -> {
                if (e == null && response.getErrCode() == ErrorCode.OVERLOAD.code()
                        && System.nanoTime() - deadlineNanos < 0) {
                    long waitMs = Math.max(1, response.getOverloadWaitTime());
                    CompletableFuture.delayedExecutor(waitMs, TimeUnit.MILLISECONDS)
                            .execute(() -> deliver(to, request, deadlineNanos));
                    return;
                }
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else if (response.getErrCode() != ErrorCode.SUCCESS.code()
                        && !(request.getCommand() == Command.STORE_REMOVE.code()
                        && response.getErrCode() == ErrorCode.NO_SUCH_KEY.code())) {
                    failure.compareAndSet(null, new IllegalStateException(to.id() + " answered "
                            + ErrorCode.of(response.getErrCode()) + " to " + Command.of(request.getCommand())));
                } else {
                    keysSent.incrementAndGet();
                    bytesSent.addAndGet(bytes);
                }
                slots.release();
            });
        }

        void awaitAll() throws InterruptedException {
            if (!slots.tryAcquire(WINDOW, ACK_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("acknowledgements still missing after " + ACK_TIMEOUT_MS + " ms");
            }
            slots.release(WINDOW);
            check();
        }

        private void check() {
            Throwable e = failure.get();
            if (e != null) {
                throw new IllegalStateException("streaming failed: " + e.getMessage(), e);
            }
        }
    }
}
