package io.ringkv.replication;

import io.ringkv.cluster.Handoff;
import io.ringkv.common.RingPosition;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.TokenRange;
import io.ringkv.storage.StorageEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a range's replicas in line with its primary, and drops what this node no longer keeps
 * (design §5, repair). Runs on every ring this node adopts:
 *
 * <ul>
 *   <li>every range this node is primary of whose replica set changed (it became primary, or a
 *       member joined or left the set) is <b>synced</b>: each of its keys is pushed, as it stands
 *       here, to every backup ({@link Replicator#push}, in the key's order with live writes, so
 *       that a push never overwrites a newer write). A member new to the set gets everything; an
 *       old one gets back in step with the primary on the writes of a primary that failed before
 *       all its backups had them. Then, for a range this node kept in the ring before too, each
 *       backup's keys in the range are listed ({@link RangeKeys}) and those this node does not
 *       hold are pushed too, as they stand here: removed. Otherwise a remove that reached some
 *       replicas before its primary died would come back the day a replica that missed it leads
 *       the range. Until a range is done, reads of its keys push first.
 *   <li>ranges this node kept in the previous ring and does not keep in the new one are dropped,
 *       unless a handoff to that ring was under way and not READY (then they may exist only here). A node that was failed
 *       over and comes back adopts a ring without itself and so starts empty before it is
 *       re-admitted, which keeps deleted keys from coming back.
 * </ul>
 *
 * At start-up every range the node is primary of in its saved ring is synced, since the state of
 * the writes it had under way when it stopped is unknown. A failed sync (a backup down) is tried
 * again every {@link #RETRY_DELAY_MS} until a newer ring replaces it.
 *
 * <p>Thread-safe: one plan runs at a time on the sync thread; a newer ring cancels it.
 */
public final class RangeSync implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RangeSync.class);
    /** Keys pushed and not yet acknowledged by all backups. */
    static final int WINDOW = 128;
    static final long RETRY_DELAY_MS = 2_000;
    /** How often suspect keys are pushed again ({@link Replicator#retrySuspects}). */
    static final long SUSPECT_RETRY_PERIOD_MS = 1_000;
    /** How long a round of suspect retries may take; each push has its own timeout, so it ends well before. */
    static final long SUSPECT_RETRY_WAIT_MS = 30_000;
    /** How long the window may stay full before the sync fails (each push has its own timeout too). */
    static final long WINDOW_WAIT_MS = 30_000;
    /** How long one page of a backup's keys may take to arrive; the peer's own reply timeout is shorter. */
    static final long LIST_WAIT_MS = 10_000;

    public enum State {
        IDLE,
        RUNNING,
        DONE,
        FAILED
    }

    /** Progress of the current (or last) sync. */
    public record Status(long epoch, State state, int ranges, int rangesDone, long keys, long bytes, long failedKeys,
            String error) {}

    /**
     * @param before the ring the node routed by before {@code ring}, for an incremental plan; null
     *     for a full one (start-up, an unfinished sync, overflowed suspects)
     */
    private record Plan(long generation, Ring ring, Ring before, List<TokenRange> ranges, boolean full,
            long startedNanos) {}

    private final String selfId;
    private final StorageEngine storage;
    private final Replicator replicator;
    private final Handoff handoff;
    private final RangeKeys rangeKeys;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("ringkv-range-sync").factory());
    private final AtomicLong generation = new AtomicLong();
    private final AtomicInteger rangesDone = new AtomicInteger();
    private final AtomicLong keys = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failedKeys = new AtomicLong();
    /** Keys of the current sync found on a backup but not here, and pushed as removed. */
    private final AtomicLong strays = new AtomicLong();
    private final AtomicInteger dropsRunning = new AtomicInteger();
    /** Keys pushed by every sync since start (metrics). */
    private final AtomicLong keysPushedTotal = new AtomicLong();
    // Guarded by this.
    private Ring lastRing;
    private volatile Plan plan;
    private volatile State state = State.IDLE;
    private volatile String error;
    /** Ranges of the running plan not yet done; reads of their keys push first. */
    private volatile List<TokenRange> remaining = List.of();

    public RangeSync(String selfId, StorageEngine storage, Replicator replicator, Handoff handoff,
            RangeKeys rangeKeys) {
        this.selfId = selfId;
        this.storage = storage;
        this.replicator = replicator;
        this.handoff = handoff;
        this.rangeKeys = rangeKeys;
        replicator.attach(this);
        // On the sync thread: while a plan runs it pushes every key anyway, so a round may wait.
        worker.scheduleWithFixedDelay(this::retrySuspects, SUSPECT_RETRY_PERIOD_MS, SUSPECT_RETRY_PERIOD_MS,
                TimeUnit.MILLISECONDS);
    }

    private void retrySuspects() {
        try {
            int cured = replicator.retrySuspects().toCompletableFuture()
                    .get(SUSPECT_RETRY_WAIT_MS, TimeUnit.MILLISECONDS);
            if (cured > 0) {
                log.info("{} suspect keys are on every replica again", cured);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // The next round tries again; a scheduled task that throws would never run again.
            log.warn("pushing suspect keys again failed: {}", e.toString());
        }
    }

    /** Syncs every range this node is primary of in the ring it starts with (its saved one). */
    public synchronized void start(Ring saved) {
        lastRing = saved;
        if (saved != null && !saved.isEmpty()) {
            schedule(saved, null, primaryRanges(saved), true);
        }
    }

    /** The cluster adopted a newer ring. */
    public void onRingAdopted(Ring next) {
        Handoff.Switch handedOff = handoff.onRingAdopted(next);
        synchronized (this) {
            Ring before = lastRing;
            lastRing = next;
            if (handedOff != Handoff.Switch.INCOMPLETE && before != null) {
                drop(Ring.rangesWhere(before, next, (was, now) -> Ring.names(was, selfId) && !Ring.names(now, selfId)),
                        next.epoch());
            }
            boolean unfinished = state == State.RUNNING || state == State.FAILED;
            List<TokenRange> ranges = unfinished || before == null || before.isEmpty()
                    ? primaryRanges(next)
                    : Ring.rangesWhere(before, next,
                            (was, now) -> isPrimaryWithBackups(now) && !Ring.sameReplicas(was, now));
            schedule(next, unfinished ? null : before, ranges, unfinished);
        }
    }

    /** Syncs every range this node is primary of again (suspect keys overflowed). */
    public synchronized void requestFull() {
        if (lastRing != null) {
            schedule(lastRing, null, primaryRanges(lastRing), true);
        }
    }

    /** Whether a sync under way has yet to finish the range of this position. */
    public boolean covers(long position) {
        for (TokenRange r : remaining) {
            if (r.contains(position)) {
                return true;
            }
        }
        return false;
    }

    public Status status() {
        Plan p = plan;
        return new Status(p == null ? 0 : p.ring().epoch(), state, p == null ? 0 : p.ranges().size(), rangesDone.get(),
                keys.get(), bytes.get(), failedKeys.get(), error);
    }

    /** Keys pushed to replicas by every sync since the node started. */
    public long keysPushedTotal() {
        return keysPushedTotal.get();
    }

    /** Ranges of the running sync not yet done (0 when in step). */
    public int rangesRemaining() {
        return remaining.size();
    }

    /** Starts the sync of the current ring again if it failed; returns the status. */
    public synchronized Status retry() {
        Plan p = plan;
        if (p != null && state == State.FAILED) {
            schedule(p.ring(), p.before(), p.ranges(), p.full());
        }
        return status();
    }

    @Override
    public void close() {
        generation.incrementAndGet();
        worker.shutdownNow();
    }

    /**
     * Removes the ranges' keys on a thread of its own: the adopting thread must not wait for it.
     * While it runs, {@link #dropping} is true and range streams are turned away (their senders
     * retry), since a key streamed in during the drop could be removed by it.
     */
    private void drop(List<TokenRange> ranges, long epoch) {
        if (ranges.isEmpty()) {
            return;
        }
        dropsRunning.incrementAndGet();
        Thread.ofPlatform().daemon().name("ringkv-range-drop").start(() -> {
            try {
                long dropped = 0;
                for (TokenRange r : ranges) {
                    dropped += storage.dropRange(r.startExclusive(), r.endInclusive()).toCompletableFuture().join();
                }
                log.info("ring epoch {}: dropped {} keys in {} ranges this node no longer keeps", epoch, dropped,
                        ranges.size());
            } finally {
                dropsRunning.decrementAndGet();
            }
        });
    }

    /** Whether ranges are being dropped now: a record streamed in meanwhile could be lost. */
    public boolean dropping() {
        return dropsRunning.get() > 0;
    }

    private List<TokenRange> primaryRanges(Ring ring) {
        return Ring.rangesWhere(null, ring, (was, now) -> isPrimaryWithBackups(now));
    }

    /** Ranges kept on this node alone have nobody to sync with. */
    private boolean isPrimaryWithBackups(List<Member> replicas) {
        return replicas.size() > 1 && replicas.getFirst().id().equals(selfId);
    }

    // Called with this held.
    private void schedule(Ring ring, Ring before, List<TokenRange> ranges, boolean full) {
        Plan p = new Plan(generation.incrementAndGet(), ring, before, List.copyOf(ranges), full, System.nanoTime());
        plan = p;
        rangesDone.set(0);
        keys.set(0);
        bytes.set(0);
        failedKeys.set(0);
        strays.set(0);
        error = null;
        remaining = p.ranges();
        if (p.ranges().isEmpty()) {
            state = State.DONE;
            return;
        }
        state = State.RUNNING;
        worker.execute(() -> run(p));
    }

    private void run(Plan p) {
        log.info("ring epoch {}: syncing {} ranges to their replicas{}", p.ring().epoch(), p.ranges().size(),
                p.full() ? " (all ranges this node is primary of)" : "");
        Semaphore window = new Semaphore(WINDOW);
        try {
            List<TokenRange> left = new ArrayList<>(p.ranges());
            for (TokenRange range : p.ranges()) {
                storage.forEachInRange(range.startExclusive(), range.endInclusive(), (key, value, version) -> {
                    if (generation.get() != p.generation()) {
                        throw new Superseded();
                    }
                    acquire(window);
                    long position = RingPosition.of(key);
                    List<Member> replicas = p.ring().replicasOf(position);
                    int size = key.length + value.length;
                    replicator.push(key, p.ring(), replicas).whenComplete((ok, failure) -> {
                        if (Boolean.TRUE.equals(ok)) {
                            keys.incrementAndGet();
                            keysPushedTotal.incrementAndGet();
                            bytes.addAndGet(size);
                        } else {
                            failedKeys.incrementAndGet();
                        }
                        window.release();
                    });
                });
                removeStrays(p, range, window);
                acquireAll(window);
                window.release(WINDOW);
                left.remove(range);
                remaining = List.copyOf(left);
                rangesDone.incrementAndGet();
            }
            finish(p);
        } catch (Superseded e) {
            log.info("ring epoch {}: sync superseded by a newer plan", p.ring().epoch());
        } catch (RuntimeException e) {
            fail(p, e.toString());
        }
    }

    /**
     * Lists each backup's keys in the range and pushes those this node does not hold, as they stand
     * here (removed; or written, if a write landed meanwhile: the push follows it in the key's
     * order). A backup that cannot list counts as a failed key, so the range is synced again.
     *
     * <p>Only where this node's absence of a key means something: in an incremental plan, for a
     * range it kept in the ring before too (under write-all it then holds every acknowledged write
     * of the range). Never in a full plan (at start-up its data may be stale or gone; an unfinished
     * sync may have left it short) nor for a range it did not keep (it may still be pulling it, as a
     * member of a cluster without an ECS that rejoins): removing there would lose data.
     */
    private void removeStrays(Plan p, TokenRange range, Semaphore window) {
        if (p.full() || p.before() == null || p.before().isEmpty()
                || !Ring.names(p.before().replicasOf(range.endInclusive()), selfId)) {
            return;
        }
        List<Member> replicas = p.ring().replicasOf(range.endInclusive());
        for (Member backup : replicas) {
            if (backup.id().equals(selfId)) {
                continue;
            }
            byte[] after = new byte[0];
            while (true) {
                if (generation.get() != p.generation()) {
                    throw new Superseded();
                }
                RangeKeys.Page page;
                try {
                    page = rangeKeys.fetch(backup, range, after).toCompletableFuture()
                            .get(LIST_WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof RangeKeys.RangeKeysUnsupported)) {
                        failedKeys.incrementAndGet();
                        log.debug("{} did not list its keys of {}: {}", backup.id(), range, e.getCause().toString());
                    }
                    break;
                } catch (TimeoutException e) {
                    failedKeys.incrementAndGet();
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Superseded();
                }
                for (byte[] key : page.keys()) {
                    if (storage.get(key) != null) {
                        continue;
                    }
                    acquire(window);
                    replicator.push(key, p.ring(), replicas).whenComplete((ok, failure) -> {
                        if (Boolean.TRUE.equals(ok)) {
                            strays.incrementAndGet();
                        } else {
                            failedKeys.incrementAndGet();
                        }
                        window.release();
                    });
                }
                if (!page.more() || page.keys().isEmpty()) {
                    break;
                }
                after = page.keys().getLast();
            }
        }
    }

    private void finish(Plan p) {
        long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p.startedNanos()));
        synchronized (this) {
            if (plan != p) {
                return;
            }
            if (failedKeys.get() > 0) {
                failLocked(p, failedKeys.get() + " keys did not reach every replica");
                return;
            }
            state = State.DONE;
            remaining = List.of();
        }
        if (p.full()) {
            replicator.fullSyncEnded(p.startedNanos());
        }
        log.info("ring epoch {}: synced {} ranges, {} keys, {} bytes in {} ms ({} MB/s){}", p.ring().epoch(),
                p.ranges().size(), keys.get(), bytes.get(), ms, String.format("%.2f", bytes.get() / 1e3 / ms),
                strays.get() == 0 ? "" : "; " + strays.get() + " keys only a backup held were removed there");
    }

    private void fail(Plan p, String why) {
        synchronized (this) {
            if (plan == p) {
                failLocked(p, why);
            }
        }
    }

    private void failLocked(Plan p, String why) {
        state = State.FAILED;
        error = why;
        // Keys that did not reach a backup are suspect: reads push them. The rest is in step.
        remaining = List.of();
        log.warn("ring epoch {}: range sync failed ({}); trying again in {} ms", p.ring().epoch(), why, RETRY_DELAY_MS);
        worker.schedule(() -> {
            synchronized (this) {
                if (plan == p && state == State.FAILED) {
                    schedule(p.ring(), p.before(), p.ranges(), p.full());
                }
            }
        }, RETRY_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    private static void acquire(Semaphore window) {
        try {
            if (!window.tryAcquire(WINDOW_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no acknowledgement from the replicas for " + WINDOW_WAIT_MS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void acquireAll(Semaphore window) {
        try {
            if (!window.tryAcquire(WINDOW, WINDOW_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("acknowledgements still missing after " + WINDOW_WAIT_MS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Thrown through the range walk when a newer plan replaced this one. */
    private static final class Superseded extends RuntimeException {
        Superseded() {
            super(null, null, false, false);
        }
    }
}
