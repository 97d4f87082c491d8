package io.ringkv.storage.log;

import io.ringkv.common.CallerLoop;
import io.ringkv.storage.StorageException;
import io.ringkv.storage.log.WriteQueue.Control;
import io.ringkv.storage.log.WriteQueue.ControlKind;
import io.ringkv.storage.log.WriteQueue.Op;
import io.ringkv.storage.log.WriteQueue.Put;
import io.ringkv.storage.log.WriteQueue.Remove;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends to the active segment. Callers enqueue operations and get a future; the queue is drained
 * in batches by whoever holds the append lock: a batch is encoded into one buffer, appended with as
 * few write syscalls as the buffer allows, and then, under {@link FsyncPolicy.Always}, made durable
 * with one fsync for the whole batch before the keydir is updated and the futures complete. So a
 * write is visible exactly when it is acknowledged, and acknowledged only once durable per the
 * policy.
 *
 * <p>Who appends: the writer thread, and, when no fsync is ever due ({@link FsyncPolicy.Never}),
 * the caller's event loop ({@link CallerLoop}): once the loop has dispatched its current I/O events
 * (a pipelined read, a run of datagrams), it appends everything they queued as one batch, instead
 * of handing it to the writer and waiting for the writer's completion to hop back. That saves two
 * thread switches per burst, which on a node pinned to one core is most of a write's cost, and
 * keeps a burst one write syscall. The loop also rolls the segment when it fills (an fsync of the
 * full segment and of the directory, once per segment); control operations stay the writer's.
 * The writer runs only when woken (or when an interval fsync is due), so it does not take the
 * loops' bursts from them.
 *
 * <p>Ordering: every operation goes through one FIFO queue, and only the lock holder takes from it,
 * so operations take effect in the order they were enqueued; per key that is call order. Within a
 * batch a small map tracks keys touched earlier in the same batch (a remove after a put of the same
 * key must see it).
 *
 * <p>Limits: callers go through a {@link WriteQueue} bounded in bytes (BUSY beyond it, so a caller
 * on an event loop never waits). A batch holds at most {@link #BATCH_OPS_MAX} operations and is
 * appended from a buffer of {@link #BATCH_BUFFER_BYTES} (or one largest record).
 *
 * <p>Failure: an IOException from a write or an fsync is fatal for writes (after a failed fsync the
 * kernel may have dropped the dirty pages, so retrying could acknowledge lost data): every pending
 * and later write fails with FAILURE and {@link #failure()} says why. Reads are not affected.
 */
final class GroupCommitWriter implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    static final int BATCH_OPS_MAX = 4096;
    /** A batch larger than this is appended with several write syscalls. */
    static final int BATCH_BUFFER_BYTES = 256 << 10;
    /** Removes may go this fraction past maxBytes so that a full store can still be emptied. */
    static final int TOMBSTONE_RESERVE_DIVISOR = 16;
    /** How long a free-space reading (a statvfs) is trusted, minus what we appended since. */
    static final long USABLE_CHECK_INTERVAL_NANOS = 50_000_000L;
    /** The writer's shortest wait for work, so that a due fsync that cannot run does not spin it. */
    static final long WAIT_NANOS_MIN = 1_000_000L;

    /** A record appended in this batch, waiting for its fsync before it is applied. */
    /** An operation waiting for the batch's commit; segment is null for a REMOVE that wrote no record. */
    private record Pending(Op op, long seq, Segment segment, int offset, int length, boolean existed) {}

    private final LogContext ctx;
    /** Records the keydir no longer points at: their bytes are dead, and the merger may skip them. */
    private final Keydir.Displaced displaced;
    private final WriteQueue queue;
    /** Held while a batch is processed; guards every field below that is not volatile. */
    private final ReentrantLock appending = new ReentrantLock();
    /** Whether event loops append their own bursts: only when no fsync is ever due (never). */
    private final boolean inline;
    /** Per event loop thread: whether it already has an append queued for after its current events. */
    private final ThreadLocal<boolean[]> drainQueued = ThreadLocal.withInitial(() -> new boolean[1]);
    private final ByteBuffer buf;
    private final List<Pending> pending = new ArrayList<>();
    /** Keys touched earlier in this batch → whether they exist after those operations. */
    private final Map<ByteBuffer, Boolean> batchView = new HashMap<>();
    private final List<Op> batch = new ArrayList<>();

    private volatile Segment active;
    private long nextSeq;
    /** Whether bytes were appended to the active segment since its last fsync. */
    private boolean dirty;
    private long lastSyncNanos;
    /** The last free-space reading, when it was taken, and what we appended since. */
    private long usableChecked;
    private long usableCheckedNanos = Long.MIN_VALUE / 2;
    private long appendedSinceCheck;
    private volatile String failure;
    private volatile boolean stopped;

    GroupCommitWriter(LogContext ctx, Segment active, long nextSeq) {
        this.ctx = ctx;
        this.displaced = ctx.segments::displaced;
        this.queue = new WriteQueue(ctx.config.writeQueueBytesMax(), this::refusal, this::enqueued);
        this.inline = ctx.config.fsync() instanceof FsyncPolicy.Never;
        this.active = active;
        this.nextSeq = nextSeq;
        // Heap, not direct: direct memory is capped at the heap size (64 MiB on a node) and slow to
        // allocate; the JDK copies each write through its own small cached direct buffer.
        this.buf = ByteBuffer.allocate(Math.max(BATCH_BUFFER_BYTES, ctx.config.recordBytesMax()));
        this.lastSyncNanos = ctx.config.clock().getAsLong();
    }

    String failure() {
        return failure;
    }

    Segment active() {
        return active;
    }

    /** Where callers enqueue their operations (any thread). */
    WriteQueue queue() {
        return queue;
    }

    private String refusal(Op op) {
        if (stopped) {
            return "storage engine is closed";
        }
        String f = failure;
        if (f != null && !(op instanceof Control c && c.kind() == ControlKind.STOP)) {
            return "log engine refuses writes after an I/O failure: " + f;
        }
        return null;
    }

    // ---- the writer thread ----

    @Override
    public void run() {
        try {
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                long waitNanos;
                boolean full = false;
                appending.lock();
                try {
                    if (!queue.isEmpty()) {
                        batch.clear();
                        queue.drainTo(batch, BATCH_OPS_MAX, false);
                        full = batch.size() == BATCH_OPS_MAX;
                        process(batch);
                    }
                    intervalSync();
                    waitNanos = Math.max(pollTimeoutNanos(), WAIT_NANOS_MIN);
                } finally {
                    appending.unlock();
                }
                if (!stopped && !full) {
                    // Not "while the queue is not empty": what event loops queued, they append
                    // themselves, and a writer that kept taking it would keep them from it.
                    queue.awaitWork(waitNanos);
                }
            }
        } catch (RuntimeException | Error e) {
            failure = "writer thread died: " + e;
            log.error("log engine writer thread died; writes are refused from now on", e);
        } finally {
            stopped = true;
            queue.drainForever(failure != null ? "log engine refuses writes: " + failure : "storage engine is closed");
        }
    }

    // ---- callers that append on their own thread ----

    /**
     * Called on the caller's thread after each enqueue. On an event loop ({@link CallerLoop}), when
     * no fsync is ever due ({@link FsyncPolicy.Never}), it has the loop append what is queued once
     * the loop has dispatched its current I/O events, so that a burst of requests becomes one batch
     * appended on the thread that sends the replies; anywhere else it wakes the writer thread.
     */
    private void enqueued(WriteQueue.Op op) {
        Executor loop = inline && !(op instanceof Control) ? CallerLoop.current() : null;
        if (loop == null) {
            queue.wakeWriter();
            return;
        }
        boolean[] queued = drainQueued.get();
        if (queued[0]) {
            return; // this loop appends once its current events are dispatched
        }
        queued[0] = true;
        try {
            loop.execute(() -> {
                queued[0] = false;
                appendOnLoop();
            });
        } catch (RejectedExecutionException e) {
            queued[0] = false; // the loop is shutting down
            queue.wakeWriter();
        }
    }

    /**
     * Appends what is queued, on the calling loop's thread. Waits for the lock: the writer holds it
     * for a control operation or the writes of threads that are not loops (replication, range
     * moves), which is rare and, without fsyncs per batch, short; a loop that gave up instead would
     * leave its burst to the writer, and the two would take turns from then on.
     */
    private void appendOnLoop() {
        appending.lock();
        boolean leftOver;
        try {
            leftOver = appendInline();
        } finally {
            appending.unlock();
        }
        if (leftOver) {
            queue.wakeWriter();
        }
    }

    /**
     * Appends the queued puts and removes up to the first control operation, rolling the segment
     * when it fills. Append lock held. True when the writer must take over (more than a batch).
     */
    private boolean appendInline() {
        if (stopped || failure != null) {
            return !queue.isEmpty(); // the writer fails them
        }
        batch.clear();
        queue.drainTo(batch, BATCH_OPS_MAX, true);
        if (!batch.isEmpty()) {
            try {
                process(batch);
            } catch (RuntimeException | Error e) {
                // As when the writer thread dies: no write is accepted after a bug left state unknown.
                failure = "append on a caller's thread failed: " + e;
                log.error("log engine append failed; writes are refused from now on", e);
                failPending(failure, e);
                return true;
            }
        }
        // Whatever else is queued has woken the writer already (a control, a write from a thread
        // that is not a loop) or will be appended by its own loop's drain.
        return batch.size() == BATCH_OPS_MAX;
    }

    private long pollTimeoutNanos() {
        if (ctx.config.fsync() instanceof FsyncPolicy.Interval interval && dirty) {
            long due = lastSyncNanos + TimeUnit.MILLISECONDS.toNanos(interval.intervalMs());
            return Math.max(0, due - ctx.config.clock().getAsLong());
        }
        return TimeUnit.SECONDS.toNanos(1);
    }

    private void intervalSync() {
        if (ctx.config.fsync() instanceof FsyncPolicy.Interval interval && dirty && failure == null
                && ctx.config.clock().getAsLong() - lastSyncNanos >= TimeUnit.MILLISECONDS.toNanos(interval.intervalMs())) {
            try {
                force(active);
            } catch (IOException e) {
                fatal("fsync of segment " + active.id + " failed", e);
            }
        }
    }

    private void process(List<Op> ops) {
        refreshUsable();
        for (Op op : ops) {
            queue.taken(op);
            if (stopped) {
                fail(op, new StorageException(StorageException.Reason.FAILURE, "storage engine is closed"));
                continue;
            }
            if (failure != null && !(op instanceof Control c && c.kind() == ControlKind.STOP)) {
                fail(op, new StorageException(StorageException.Reason.FAILURE, "log engine refuses writes after an I/O failure: " + failure));
                continue;
            }
            switch (op) {
                case Put p -> encodePut(p);
                case Remove r -> encodeRemove(r);
                case Control c -> {
                    commit();
                    control(c);
                }
            }
        }
        commit();
    }

    private void encodePut(Put p) {
        int length = RecordFormat.recordBytes(p.key().length, p.value().length);
        String full = spaceProblem(length, false);
        if (full != null) {
            p.done().completeExceptionally(new StorageException(StorageException.Reason.OUT_OF_SPACE, full));
            return;
        }
        if (!makeRoom(length)) {
            fail(p, new StorageException(StorageException.Reason.FAILURE, "log engine refuses writes: " + failure));
            return;
        }
        long seq = nextSeq++;
        int offset = (int) (active.bytes() + buf.position());
        RecordFormat.encode(buf, RecordFormat.KIND_PUT, seq, p.version(), p.key(), p.value());
        active.noteSeq(seq);
        pending.add(new Pending(p, seq, active, offset, length, true));
        batchView.put(ByteBuffer.wrap(p.key()), Boolean.TRUE);
    }

    private void encodeRemove(Remove r) {
        Boolean inBatch = batchView.get(ByteBuffer.wrap(r.key()));
        boolean exists = inBatch != null ? inBatch : ctx.keydir.get(r.key(), r.position()) != null;
        if (!exists) {
            // Nothing on disk can bring the key back (merge keeps a tombstone while any older
            // record may exist), so no record is needed.
            if (inBatch == null) {
                r.done().complete(false);
            } else {
                // Removed earlier in this batch: "absent" is true only once that remove is durable
                // and applied. Answering now would let a reader still see the key afterwards.
                pending.add(new Pending(r, 0, null, 0, 0, false));
            }
            return;
        }
        int length = RecordFormat.recordBytes(r.key().length, 0);
        String full = spaceProblem(length, true);
        if (full != null) {
            r.done().completeExceptionally(new StorageException(StorageException.Reason.OUT_OF_SPACE, full));
            return;
        }
        if (!makeRoom(length)) {
            fail(r, new StorageException(StorageException.Reason.FAILURE, "log engine refuses writes: " + failure));
            return;
        }
        long seq = nextSeq++;
        int offset = (int) (active.bytes() + buf.position());
        RecordFormat.encode(buf, RecordFormat.KIND_TOMBSTONE, seq, 0, r.key(), null);
        active.noteSeq(seq);
        pending.add(new Pending(r, seq, active, offset, length, true));
        batchView.put(ByteBuffer.wrap(r.key()), Boolean.FALSE);
    }

    /** Why a record of length bytes may not be written now, or null if it may. */
    private String spaceProblem(int length, boolean tombstone) {
        long buffered = buf.position() + length;
        long maxBytes = ctx.config.maxBytes();
        if (maxBytes > 0) {
            long limit = tombstone ? maxBytes + maxBytes / TOMBSTONE_RESERVE_DIVISOR : maxBytes;
            if (ctx.segments.totalBytes() + buffered > limit) {
                return "log engine is full: " + ctx.segments.totalBytes() + " of maxBytes " + maxBytes + " used";
            }
        }
        long minFree = tombstone ? ctx.config.minFreeDiskBytes() / 2 : ctx.config.minFreeDiskBytes();
        long free = usableChecked - appendedSinceCheck - buffered;
        if (minFree > 0 && free < minFree) {
            return "disk is nearly full: " + Math.max(0, free) + " bytes free, the engine keeps " + minFree + " free";
        }
        return null;
    }

    private void refreshUsable() {
        long now = ctx.config.clock().getAsLong();
        if (ctx.config.minFreeDiskBytes() == 0 || now - usableCheckedNanos < USABLE_CHECK_INTERVAL_NANOS) {
            return;
        }
        try {
            usableChecked = ctx.fs.usableBytes();
        } catch (IOException e) {
            usableChecked = Long.MAX_VALUE / 2; // the guard cannot be checked; maxBytes still applies
        }
        usableCheckedNanos = now;
        appendedSinceCheck = 0;
    }

    /** Makes room for a record: flushes the buffer and rolls the segment when needed. */
    private boolean makeRoom(int length) {
        try {
            if (buf.remaining() < length) {
                flush();
            }
            long used = active.bytes() + buf.position();
            if (used > 0 && used + length > ctx.config.segmentBytes()) {
                flush();
                roll();
            }
            return true;
        } catch (IOException e) {
            fatal("append to segment " + active.id + " failed", e);
            return false;
        }
    }

    private void flush() throws IOException {
        if (buf.position() == 0) {
            return;
        }
        buf.flip();
        int n = buf.remaining();
        active.file.append(buf);
        buf.clear();
        ctx.segments.grew(active, n);
        appendedSinceCheck += n;
        dirty = true;
    }

    private void force(Segment segment) throws IOException {
        long start = ctx.config.clock().getAsLong();
        segment.file.force();
        long end = ctx.config.clock().getAsLong();
        ctx.stats.fsync(end - start);
        if (segment == active) {
            dirty = false;
            lastSyncNanos = end;
        }
    }

    /**
     * Closes the active segment (fsynced whatever the policy, so that every immutable segment is
     * durable and can get a hint) and starts a new one, whose directory entry is fsynced before any
     * record in it can be acknowledged.
     */
    private void roll() throws IOException {
        force(active);
        Segment old = active;
        old.markImmutable();
        active = ctx.newSegment();
        ctx.afterRoll(old);
    }

    private void commit() {
        if (pending.isEmpty() && buf.position() == 0) {
            batchView.clear();
            return;
        }
        if (failure != null) {
            // A write earlier in this batch failed: none of its records may be acknowledged.
            failPending("write not durable: " + failure, null);
            return;
        }
        try {
            flush();
            if (ctx.config.fsync() instanceof FsyncPolicy.Always && dirty) {
                force(active);
            }
        } catch (IOException e) {
            fatal("append or fsync of segment " + active.id + " failed", e);
            failPending("write not durable: " + failure, e);
            return;
        }
        ctx.stats.batch(pending.size()); // before completing: a caller that saw its write done sees it counted
        for (Pending p : pending) {
            apply(p);
        }
        pending.clear();
        batchView.clear();
        ctx.afterCommit();
    }

    /** Fails every operation of the batch (none may be acknowledged) and forgets the batch. */
    private void failPending(String why, Throwable cause) {
        for (Pending p : pending) {
            fail(p.op, new StorageException(StorageException.Reason.FAILURE, why, cause));
        }
        pending.clear();
        batchView.clear();
        buf.clear();
    }

    private void apply(Pending p) {
        switch (p.op) {
            case Put put -> {
                ctx.keydir.put(put.key(), put.position(), p.seq, p.segment.id, p.offset, p.length, put.version(), displaced);
                put.done().complete(null);
            }
            case Remove remove when p.segment == null -> remove.done().complete(false); // no record of its own
            case Remove remove -> {
                ctx.keydir.remove(remove.key(), remove.position(), displaced);
                p.segment.addDead(p.length); // a tombstone is never live data
                remove.done().complete(p.existed);
            }
            case Control c -> throw new IllegalStateException("controls are not pending: " + c);
        }
    }

    private void control(Control c) {
        try {
            switch (c.kind()) {
                case SYNC -> {
                    if (dirty) {
                        force(active);
                    }
                }
                case ROLL -> {
                    if (active.bytes() > 0) {
                        roll();
                    }
                }
                case WIPE -> wipe();
                case STOP -> {
                    if (dirty && failure == null) {
                        force(active);
                    }
                    stopped = true;
                }
            }
            c.done().complete(null);
        } catch (IOException e) {
            fatal(c.kind() + " failed on segment " + active.id, e);
            c.done().completeExceptionally(new StorageException(StorageException.Reason.FAILURE, c.kind() + " failed: " + failure, e));
            if (c.kind() == ControlKind.STOP) {
                stopped = true;
            }
        }
    }

    /**
     * Writes a WIPE record as the first record of a fresh segment and makes it durable; from then
     * on every older record is dead whatever files remain, so the old segments can be deleted in
     * any order and a crash in the middle resurrects nothing.
     */
    private void wipe() throws IOException {
        ctx.structure.lock();
        try {
            force(active);
            active.markImmutable();
            Segment old = active;
            active = ctx.newSegment();
            long seq = nextSeq++;
            int length = RecordFormat.recordBytes(0, 0);
            RecordFormat.encode(buf, RecordFormat.KIND_WIPE, seq, 0, new byte[0], null);
            active.noteSeq(seq);
            flush();
            force(active);
            active.addDead(length);
            ctx.wipeEpoch.incrementAndGet();
            ctx.keydir.clear();
            for (Segment s : ctx.segments.live()) {
                if (s != active) {
                    ctx.retire(s);
                }
            }
            log.info("log engine in {} wiped (segments up to {} retired)", ctx.fs.describe(), old.id);
        } finally {
            ctx.structure.unlock();
        }
    }

    private void fatal(String what, IOException e) {
        if (failure == null) {
            failure = what + ": " + e;
            log.error("log engine in {}: {}; refusing every write from now on, reads go on", ctx.fs.describe(), failure, e);
        }
        buf.clear();
    }

    private static void fail(Op op, StorageException e) {
        WriteQueue.fail(op, e);
    }
}
