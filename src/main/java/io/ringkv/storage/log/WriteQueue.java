package io.ringkv.storage.log;

import io.ringkv.storage.StorageException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The bounded queue between the callers and the {@link GroupCommitWriter} thread.
 *
 * <p>Limit: it holds at most {@code writeQueueBytesMax} bytes, counting each operation's record
 * plus {@link #OP_OVERHEAD_BYTES} for the objects around it. An operation that does not fit fails
 * at once with BUSY (the client is told OVERLOAD and retries), so a caller on an event loop never
 * waits; internal callers that run on their own threads (range drops) may wait for room instead.
 * Control operations (sync, roll, wipe, stop) are tiny and always admitted.
 *
 * <p>Thread-safety: any thread may enqueue; only a holder of the writer's append lock takes (the
 * writer thread, or a caller appending inline, see {@link GroupCommitWriter}). FIFO: operations are
 * applied in the order they were enqueued. After each enqueue the queue calls {@code onEnqueued},
 * which appends inline or wakes the writer thread.
 */
final class WriteQueue {
    /** Heap and bookkeeping bytes charged per queued operation on top of its record. */
    static final int OP_OVERHEAD_BYTES = 96;

    sealed interface Op permits Put, Remove, Control {}

    record Put(byte[] key, long position, byte[] value, int version, CompletableFuture<Void> done) implements Op {}

    record Remove(byte[] key, long position, CompletableFuture<Boolean> done) implements Op {}

    enum ControlKind { SYNC, ROLL, WIPE, STOP }

    record Control(ControlKind kind, CompletableFuture<Void> done) implements Op {}

    private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long bytesMax;
    /** Why an operation is refused before it is queued (closed, failed), or null to admit it. */
    private final Function<Op, String> refusal;
    /** Told of every operation queued: appends it inline or wakes the writer. */
    private final Consumer<Op> onEnqueued;
    private volatile boolean drained;
    /** The writer thread, set when it starts; unparked when it may have work. */
    private volatile Thread writer;
    /** True while the writer is parked or about to park: only then does a wake unpark it. */
    private volatile boolean writerIdle;
    /** Set by {@link #wakeWriter}: operations wait for the writer thread (not for an event loop). */
    private volatile boolean writerWanted;

    WriteQueue(long bytesMax, Function<Op, String> refusal, Consumer<Op> onEnqueued) {
        this.bytesMax = bytesMax;
        this.refusal = refusal;
        this.onEnqueued = onEnqueued;
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

    CompletableFuture<Void> put(byte[] key, long position, byte[] value, int version) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueue(new Put(key, position, value, version, done), false);
        return done;
    }

    CompletableFuture<Boolean> remove(byte[] key, long position, boolean waitForRoom) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        enqueue(new Remove(key, position, done), waitForRoom);
        return done;
    }

    CompletableFuture<Void> control(ControlKind kind) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueue(new Control(kind, done), true);
        return done;
    }

    private void enqueue(Op op, boolean waitForRoom) {
        String why = refusal.apply(op);
        if (why != null) {
            fail(op, new StorageException(StorageException.Reason.FAILURE, why));
            return;
        }
        long cost = cost(op);
        while (queuedBytes.addAndGet(cost) > bytesMax && !(op instanceof Control)) {
            queuedBytes.addAndGet(-cost);
            if (!waitForRoom) {
                fail(op, new StorageException(StorageException.Reason.BUSY,
                        "log engine write queue is full (" + bytesMax + " bytes waiting)"));
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(op, new StorageException(StorageException.Reason.FAILURE, "interrupted while waiting for the write queue"));
                return;
            }
        }
        queue.add(op);
        if (drained) {
            failAll("storage engine is closed"); // the writer is gone; nobody else will
            return;
        }
        onEnqueued.accept(op);
    }

    /**
     * Parks the writer thread until {@link #wakeWriter} is called or the timeout passes; returns at
     * once when it was called since the last return. Operations that an event loop will append
     * itself do not wake the writer. Writer thread only.
     */
    void awaitWork(long timeoutNanos) {
        writer = Thread.currentThread();
        writerIdle = true;
        // Set before the check: a wake that the check misses sees writerIdle and unparks.
        if (!writerWanted) {
            LockSupport.parkNanos(this, timeoutNanos);
        }
        writerIdle = false;
        // Cleared before the writer drains: whatever was queued before a wake is taken this round.
        writerWanted = false;
    }

    /** Asks the writer thread to drain the queue, waking it if it waits. */
    void wakeWriter() {
        writerWanted = true;
        Thread t = writer;
        if (writerIdle && t != null) {
            LockSupport.unpark(t);
        }
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /**
     * Moves up to max waiting operations into batch, stopping before the first control operation
     * when {@code untilControl}. Append lock holders only.
     */
    void drainTo(List<Op> batch, int max, boolean untilControl) {
        Op op;
        while (batch.size() < max && (op = queue.peek()) != null && !(untilControl && op instanceof Control)) {
            batch.add(queue.poll());
        }
    }

    /** The writer took op off the queue: its bytes no longer count. */
    void taken(Op op) {
        queuedBytes.addAndGet(-cost(op));
    }

    /** The writer has stopped: fails whatever is queued now or later. */
    void drainForever(String why) {
        drained = true;
        failAll(why);
    }

    private void failAll(String why) {
        Op op;
        while ((op = queue.poll()) != null) {
            taken(op);
            fail(op, new StorageException(StorageException.Reason.FAILURE, why));
        }
    }

    static long cost(Op op) {
        return switch (op) {
            case Put p -> RecordFormat.recordBytes(p.key().length, p.value().length) + OP_OVERHEAD_BYTES;
            case Remove r -> RecordFormat.recordBytes(r.key().length, 0) + OP_OVERHEAD_BYTES;
            case Control c -> OP_OVERHEAD_BYTES;
        };
    }

    static void fail(Op op, StorageException e) {
        switch (op) {
            case Put p -> p.done().completeExceptionally(e);
            case Remove r -> r.done().completeExceptionally(e);
            case Control c -> c.done().completeExceptionally(e);
        }
    }
}
