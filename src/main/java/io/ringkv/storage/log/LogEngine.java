package io.ringkv.storage.log;

import io.ringkv.common.RingPosition;
import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.StorageException;
import io.ringkv.storage.Versioned;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code log} engine: a crash-safe Bitcask-style store. Records are appended to segment files
 * ({@link RecordFormat}), an off-heap {@link Keydir} says where each key's newest record is, reads
 * are one positional read, writes go through one group-commit queue ({@link GroupCommitWriter}),
 * and a background {@link Merger} rewrites live data to give dead bytes back. Start-up
 * ({@link Recovery}) uses {@link HintFile}s and checks every CRC it reads.
 *
 * <p>Threads: the calling threads ({@link #put}, {@link #remove} and {@link #wipe} never wait for
 * an fsync; under the {@code never} policy an event loop appends the writes of its burst itself,
 * one write syscall into the page cache; {@link #get} does one positional read), one writer thread,
 * one maintenance thread (hints, merges, file deletion). {@link #scanRange} runs on its caller's
 * thread, so a caller on an event loop must hand it to another thread.
 */
public final class LogEngine implements StorageEngine {
    private static final Logger log = LoggerFactory.getLogger(LogEngine.class);

    /** A get retries this often when a merge moved its record between lookup and read. */
    static final int READ_ATTEMPTS_MAX = 8;
    static final long CLOSE_TIMEOUT_SECONDS = 30;

    /** One live key with its value and version, as {@link #scanRange} streams it. */
    public record LiveRecord(byte[] key, byte[] value, int version) {}

    private final Config config;
    private final LogContext ctx;
    private final Closeable lock;
    private final Thread writerThread;
    private final ExecutorService ownExecutor;
    private final RangeOps ranges;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LogEngine(Config config, LogContext ctx, Closeable lock, Thread writerThread, ExecutorService ownExecutor) {
        this.config = config;
        this.ctx = ctx;
        this.lock = lock;
        this.writerThread = writerThread;
        this.ownExecutor = ownExecutor;
        this.ranges = new RangeOps(ctx, this);
    }

    /** Opens (creating if needed) the engine in config.dir() on the real file system. */
    public static LogEngine open(Config config) throws IOException {
        return open(config, new FileChannelFileSystem(config.dir()));
    }

    /** Opens the engine over any file system (the simulated one in tests). */
    public static LogEngine open(Config config, LogFileSystem fs) throws IOException {
        return open(config, fs, null);
    }

    /**
     * @param maintenanceExecutor runs background tasks one at a time in order; null gives the
     *     engine a daemon thread of its own
     */
    static LogEngine open(Config config, LogFileSystem fs, Executor maintenanceExecutor) throws IOException {
        Closeable lock = LockFile.acquire(fs);
        Keydir keydir = new Keydir(0);
        ExecutorService own = null;
        Recovery.Result recovered = null;
        try {
            LogStats stats = new LogStats(config.fsyncNanosListener(), config.batchSizeListener());
            recovered = new Recovery(fs, config, keydir, stats).run();
            if (maintenanceExecutor == null) {
                own = Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "ringkv-log-maintenance");
                    t.setDaemon(true);
                    return t;
                });
            }
            Maintenance maintenance = new Maintenance(own != null ? own : maintenanceExecutor, stats);
            LogContext ctx = new LogContext(config, fs, keydir, recovered.segments(), stats, maintenance);
            GroupCommitWriter writer = new GroupCommitWriter(ctx, ctx.newSegment(), recovered.nextSeq());
            ctx.writer = writer;
            ctx.merger = new Merger(ctx);
            Thread writerThread = new Thread(writer, "ringkv-log-writer");
            writerThread.setDaemon(true);
            writerThread.start();
            for (Segment s : recovered.needHints()) {
                ctx.afterRoll(s);
            }
            return new LogEngine(config, ctx, lock, writerThread, own);
        } catch (IOException | RuntimeException | Error e) {
            if (recovered != null) {
                recovered.segments().onDisk().forEach(Segment::closeQuietly);
            }
            keydir.close();
            if (own != null) {
                own.shutdownNow();
            }
            lock.close();
            throw e;
        }
    }

    @Override
    public Versioned get(byte[] key) {
        checkOpen();
        if (key.length == 0 || key.length > config.keyBytesMax()) {
            return null;
        }
        long position = RingPosition.of(key);
        try {
            for (int attempt = 0; attempt < READ_ATTEMPTS_MAX; attempt++) {
                Keydir.Entry entry = ctx.keydir.get(key, position);
                if (entry == null) {
                    return null;
                }
                Segment segment = ctx.segments.retain(entry.segmentId());
                if (segment == null) {
                    continue; // a merge or wipe retired it after the lookup: the keydir has moved on
                }
                try {
                    LiveRecord r = RecordReader.read(segment, entry.offset(), entry.length(), entry.seq(), key,
                            config.recordBytesMax());
                    return new Versioned(r.value(), r.version());
                } finally {
                    segment.release();
                }
            }
            throw new StorageException(StorageException.Reason.FAILURE, "record kept moving while being read");
        } catch (RecordReader.CorruptRecordException e) {
            ctx.stats.corruptRecords.increment();
            log.error("log engine in {}: {}", ctx.fs.describe(), e.getMessage());
            throw new StorageException(StorageException.Reason.FAILURE, e.getMessage(), e);
        } catch (IOException e) {
            throw new StorageException(StorageException.Reason.FAILURE, "read failed: " + e, e);
        } catch (IllegalStateException e) {
            checkOpen(); // the engine closed under us (off-heap memory released)
            throw e;
        }
    }

    @Override
    public CompletionStage<Void> put(byte[] key, byte[] value, int version) {
        String problem = closed.get() ? "storage engine is closed"
                : key.length == 0 || key.length > config.keyBytesMax() ? "key of " + key.length + " bytes is outside 1.." + config.keyBytesMax()
                : value.length > config.valueBytesMax() ? "value of " + value.length + " bytes exceeds " + config.valueBytesMax()
                : null;
        if (problem != null) {
            return CompletableFuture.failedFuture(new StorageException(StorageException.Reason.FAILURE, problem));
        }
        // Copies: the caller may reuse its arrays as soon as we return.
        return ctx.writer.queue().put(key.clone(), RingPosition.of(key), value.clone(), version);
    }

    @Override
    public CompletionStage<Boolean> remove(byte[] key) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new StorageException(StorageException.Reason.FAILURE, "storage engine is closed"));
        }
        if (key.length == 0 || key.length > config.keyBytesMax()) {
            return CompletableFuture.completedFuture(false);
        }
        return ctx.writer.queue().remove(key.clone(), RingPosition.of(key), false);
    }

    /** Writes a durable WIPE record in a fresh segment, empties the keydir, retires every older segment. */
    @Override
    public CompletionStage<Void> wipe() {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new StorageException(StorageException.Reason.FAILURE, "storage engine is closed"));
        }
        return ctx.writer.queue().control(WriteQueue.ControlKind.WIPE);
    }

    /**
     * Streams every live record whose ring position is in {@code (startExclusive, endInclusive]}
     * (unsigned, wrapping; equal ends = the whole ring), in ring order, reading values from disk as
     * it goes. Blocks the calling thread for the whole scan; foreground traffic is not stopped.
     */
    public void scanRange(long startExclusive, long endInclusive, Consumer<LiveRecord> sink) {
        checkOpen();
        ranges.scan(startExclusive, endInclusive, sink);
    }

    @Override
    public void forEachInRange(long startExclusive, long endInclusive, RecordSink sink) {
        scanRange(startExclusive, endInclusive, r -> sink.accept(r.key(), r.value(), r.version()));
    }

    /** Durably removes every key of the range (see {@link #scanRange}); completes with the count. */
    @Override
    public CompletionStage<Long> dropRange(long startExclusive, long endInclusive) {
        checkOpen();
        CompletableFuture<Long> done = new CompletableFuture<>();
        Thread.ofVirtual().name("ringkv-log-drop-range").start(() -> {
            try {
                done.complete(ranges.drop(startExclusive, endInclusive));
            } catch (java.util.concurrent.CompletionException e) {
                done.completeExceptionally(e.getCause());
            } catch (RuntimeException e) {
                done.completeExceptionally(new StorageException(StorageException.Reason.FAILURE, "drop range failed: " + e, e));
            }
        });
        return done;
    }

    /**
     * Rolls the active segment and merges every immutable segment holding dead bytes, now. The
     * background merge does the same by itself once the thresholds are passed.
     */
    public CompletionStage<Void> compact() {
        checkOpen();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.writer.queue().control(WriteQueue.ControlKind.ROLL).whenComplete((ignored, error) -> {
            if (error != null) {
                done.completeExceptionally(error);
                return;
            }
            ctx.maintenance.submit("compact", () -> {
                try {
                    ctx.merger.compact();
                    done.complete(null);
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(new StorageException(StorageException.Reason.FAILURE, "compaction failed: " + e, e));
                }
            });
            if (ctx.maintenance.stopped()) {
                done.completeExceptionally(new StorageException(StorageException.Reason.FAILURE, "storage engine is closed"));
            }
        });
        return done;
    }

    @Override
    public long keys() {
        return ctx.keydir.size();
    }

    /** Bytes of every segment file on disk (live and dead records, files awaiting deletion). */
    @Override
    public long bytes() {
        return ctx.segments.totalBytes();
    }

    @Override
    public long bytesMax() {
        if (config.maxBytes() > 0) {
            return config.maxBytes();
        }
        try {
            return ctx.fs.usableBytes() + bytes();
        } catch (IOException e) {
            return bytes();
        }
    }

    @Override
    public String name() {
        return "log";
    }

    @Override
    public String writeFailure() {
        return ctx.writer.failure();
    }

    public Stats stats() {
        return ctx.snapshot();
    }

    /** Waits until the writer has nothing queued and no background task is pending (tests). */
    void awaitIdle(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            try {
                ctx.writer.queue().control(WriteQueue.ControlKind.SYNC).get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return; // a failed writer is idle too
            }
            if (ctx.maintenance.pending() == 0) {
                return;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("log engine did not become idle in " + timeoutMs + " ms");
    }

    LogContext context() {
        return ctx;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ctx.closing = true;
        try {
            ctx.writer.queue().control(WriteQueue.ControlKind.STOP).get(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("log engine writer did not stop cleanly: {}", e.toString());
        }
        try {
            writerThread.join(TimeUnit.SECONDS.toMillis(CLOSE_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownExecutor != null) {
            // Queued hint writes and file deletions still run (they make the next start fast and
            // tidy); a merge sees ctx.closing and gives up at its next record.
            ownExecutor.shutdown();
            try {
                if (!ownExecutor.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    log.warn("log engine background work did not finish in {} s; it is abandoned", CLOSE_TIMEOUT_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ctx.maintenance.stop();
        finishSegments();
        for (Segment s : ctx.segments.onDisk()) {
            s.closeQuietly();
        }
        ctx.keydir.close();
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("releasing the lock of {} failed: {}", ctx.fs.describe(), e.toString());
        }
    }

    /**
     * A clean close leaves every segment immutable with a hint, so the next start reads no values:
     * the last one, and those whose hint waited for a merge that did not come.
     */
    private void finishSegments() {
        Segment active = ctx.writer.active();
        if (ctx.writer.failure() != null) {
            return;
        }
        try {
            if (active.bytes() == 0) {
                ctx.fs.delete(Segment.dataName(active.id));
                ctx.fs.syncDirectory();
            } else {
                active.markImmutable();
                ctx.writeHint(active, () -> false);
            }
            for (Segment s : ctx.segments.live()) {
                if (s.immutable() && !s.hinted()) {
                    ctx.writeHint(s, () -> false);
                }
            }
        } catch (IOException e) {
            log.warn("could not write the hints at close: {}", e.toString());
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new StorageException(StorageException.Reason.FAILURE, "storage engine is closed");
        }
    }

    /** A snapshot of the engine's counters, for metrics and health. */
    public record Stats(
            long keys,
            long liveBytes,
            long deadBytes,
            long totalBytes,
            int segments,
            long fsyncs,
            long fsyncNanosTotal,
            long batches,
            long batchedOps,
            int batchOpsMax,
            long merges,
            long mergeBytesRead,
            long mergeBytesWritten,
            long mergeBytesReclaimed,
            long mergeNanosTotal,
            long mergeDeadSkipped,
            long corruptRecords,
            long corruptBytes,
            long tornTailBytes,
            long badHints,
            long hintsWritten,
            long hintsDeferred,
            long keydirOffHeapBytes,
            long writeQueueBytes,
            String writeFailure) {}

    /**
     * The engine's settings. Sizes in bytes, times in the unit their name ends with.
     *
     * @param dir the storage directory (one engine per directory, enforced by {@code LOCK})
     * @param segmentBytes the active segment rolls over before it would pass this (64 MiB)
     * @param fsync when writes are made durable and acknowledged (ALWAYS)
     * @param maxBytes budget for all segment files; 0 = only the free-disk guard applies
     * @param minFreeDiskBytes puts fail with OUT_OF_SPACE rather than leave less free (64 MiB);
     *     removes may use half of it, so that space can always be given back
     * @param mergeDeadRatio a merge starts when dead bytes pass this share of immutable bytes
     *     (0.5); above 1 the background merge is off ({@link #compact()} still works)
     * @param mergeMinDeadBytes ... and at least this many bytes are dead (16 MiB)
     * @param keyBytesMax longest key accepted (1..4096; default 1024)
     * @param valueBytesMax longest value accepted (0..16 MiB; default 1 MiB)
     * @param writeQueueBytesMax bytes of writes waiting for the writer; beyond, BUSY (4 MiB)
     * @param clock monotonic nanoseconds, for fsync intervals and latencies
     * @param fsyncNanosListener receives every fsync's latency (feed a histogram); on the writer thread
     * @param batchSizeListener receives the number of writes each group commit covered; on the writer
     *     thread or on an event loop that appended its burst itself (policy never)
     */
    public record Config(
            Path dir,
            long segmentBytes,
            FsyncPolicy fsync,
            long maxBytes,
            long minFreeDiskBytes,
            double mergeDeadRatio,
            long mergeMinDeadBytes,
            int keyBytesMax,
            int valueBytesMax,
            long writeQueueBytesMax,
            LongSupplier clock,
            LongConsumer fsyncNanosListener,
            IntConsumer batchSizeListener) {

        public static final long SEGMENT_BYTES_DEFAULT = 64L << 20;
        /** Offsets are unsigned 32-bit and a record may overshoot the limit once. */
        public static final long SEGMENT_BYTES_LIMIT = 1L << 30;
        public static final int VALUE_BYTES_LIMIT = 16 << 20;

        public Config {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(fsync, "fsync");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(fsyncNanosListener, "fsyncNanosListener");
            Objects.requireNonNull(batchSizeListener, "batchSizeListener");
            require(segmentBytes >= 64 && segmentBytes <= SEGMENT_BYTES_LIMIT, "segmentBytes must be 64.." + SEGMENT_BYTES_LIMIT);
            require(maxBytes >= 0, "maxBytes must not be negative");
            require(minFreeDiskBytes >= 0, "minFreeDiskBytes must not be negative");
            require(mergeDeadRatio > 0, "mergeDeadRatio must be positive");
            require(mergeMinDeadBytes >= 0, "mergeMinDeadBytes must not be negative");
            require(keyBytesMax >= 1 && keyBytesMax <= RecordFormat.KEY_BYTES_LIMIT, "keyBytesMax must be 1.." + RecordFormat.KEY_BYTES_LIMIT);
            require(valueBytesMax >= 0 && valueBytesMax <= VALUE_BYTES_LIMIT, "valueBytesMax must be 0.." + VALUE_BYTES_LIMIT);
            require(writeQueueBytesMax >= 2L * (RecordFormat.recordBytes(keyBytesMax, valueBytesMax) + WriteQueue.OP_OVERHEAD_BYTES),
                    "writeQueueBytesMax must hold at least two writes of the largest size");
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }

        /** The largest record the limits allow. */
        public int recordBytesMax() {
            return RecordFormat.recordBytes(keyBytesMax, valueBytesMax);
        }

        public static Builder builder(Path dir) {
            return new Builder(dir);
        }

        public Builder toBuilder() {
            return new Builder(dir).segmentBytes(segmentBytes).fsync(fsync).maxBytes(maxBytes)
                    .minFreeDiskBytes(minFreeDiskBytes).mergeDeadRatio(mergeDeadRatio).mergeMinDeadBytes(mergeMinDeadBytes)
                    .keyBytesMax(keyBytesMax).valueBytesMax(valueBytesMax).writeQueueBytesMax(writeQueueBytesMax)
                    .clock(clock).fsyncNanosListener(fsyncNanosListener).batchSizeListener(batchSizeListener);
        }

        /** Defaults as documented on {@link Config}. */
        public static final class Builder {
            private final Path dir;
            private long segmentBytes = SEGMENT_BYTES_DEFAULT;
            private FsyncPolicy fsync = FsyncPolicy.ALWAYS;
            private long maxBytes;
            private long minFreeDiskBytes = 64L << 20;
            private double mergeDeadRatio = 0.5;
            private long mergeMinDeadBytes = 16L << 20;
            private int keyBytesMax = 1024;
            private int valueBytesMax = 1 << 20;
            private long writeQueueBytesMax = 4L << 20;
            private LongSupplier clock = System::nanoTime;
            private LongConsumer fsyncNanosListener = nanos -> {};
            private IntConsumer batchSizeListener = ops -> {};

            private Builder(Path dir) {
                this.dir = dir;
            }

            public Builder segmentBytes(long v) { segmentBytes = v; return this; }
            public Builder fsync(FsyncPolicy v) { fsync = v; return this; }
            public Builder maxBytes(long v) { maxBytes = v; return this; }
            public Builder minFreeDiskBytes(long v) { minFreeDiskBytes = v; return this; }
            public Builder mergeDeadRatio(double v) { mergeDeadRatio = v; return this; }
            public Builder mergeMinDeadBytes(long v) { mergeMinDeadBytes = v; return this; }
            public Builder keyBytesMax(int v) { keyBytesMax = v; return this; }
            public Builder valueBytesMax(int v) { valueBytesMax = v; return this; }
            public Builder writeQueueBytesMax(long v) { writeQueueBytesMax = v; return this; }
            public Builder clock(LongSupplier v) { clock = v; return this; }
            public Builder fsyncNanosListener(LongConsumer v) { fsyncNanosListener = v; return this; }
            public Builder batchSizeListener(IntConsumer v) { batchSizeListener = v; return this; }

            public Config build() {
                return new Config(dir, segmentBytes, fsync, maxBytes, minFreeDiskBytes, mergeDeadRatio, mergeMinDeadBytes,
                        keyBytesMax, valueBytesMax, writeQueueBytesMax, clock, fsyncNanosListener, batchSizeListener);
            }
        }
    }
}
