package io.ringkv.storage.log;

import io.ringkv.storage.StorageException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>Thread-safety: any thread may enqueue; only the writer takes. FIFO: the writer applies
 * operations in the order they were enqueued.
 */
final class WriteQueue {
    /** Heap and bookkeeping bytes charged per queued operation on top of its record. */
    static final int OP_OVERHEAD_BYTES = 96;

    sealed interface Op permits Put, Remove, Control {}

    record Put(byte[] key, long position, byte[] value, int version, CompletableFuture<Void> done) implements Op {}

    record Remove(byte[] key, long position, CompletableFuture<Boolean> done) implements Op {}

    enum ControlKind { SYNC, ROLL, WIPE, STOP }

    record Control(ControlKind kind, CompletableFuture<Void> done) implements Op {}

    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long bytesMax;
    /** Why an operation is refused before it is queued (closed, failed), or null to admit it. */
    private final Function<Op, String> refusal;
    private volatile boolean drained;

    WriteQueue(long bytesMax, Function<Op, String> refusal) {
        this.bytesMax = bytesMax;
        this.refusal = refusal;
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
        }
    }

    /** The next operation, waiting up to the timeout; null if none came. Writer thread only. */
    Op poll(long timeoutNanos) throws InterruptedException {
        return queue.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Moves up to max more waiting operations into batch. Writer thread only. */
    void drainTo(List<Op> batch, int max) {
        queue.drainTo(batch, max);
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
