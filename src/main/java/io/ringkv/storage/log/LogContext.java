package io.ringkv.storage.log;

import io.ringkv.common.RingPosition;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the engine's parts share: the configuration and I/O seam, the keydir, the segments, the
 * counters, the background runner, and the few cross-cutting steps (new segment, retire, hint).
 */
final class LogContext {
    /** How often the writer may look at the dead bytes to decide on a merge. */
    static final long MERGE_CHECK_INTERVAL_NANOS = 100_000_000L;

    final LogEngine.Config config;
    final LogFileSystem fs;
    final Keydir keydir;
    final SegmentSet segments;
    final LogStats stats;
    final Maintenance maintenance;
    /**
     * Held by a wipe while it retires segments and by a merge while it publishes its outputs, so
     * that a merge begun before a wipe cannot publish pre-wipe records after it.
     */
    final ReentrantLock structure = new ReentrantLock();
    final AtomicLong wipeEpoch = new AtomicLong();
    volatile boolean closing;
    volatile GroupCommitWriter writer;
    volatile Merger merger;
    private final AtomicBoolean mergeQueued = new AtomicBoolean();
    private volatile long lastMergeCheckNanos;

    LogContext(LogEngine.Config config, LogFileSystem fs, Keydir keydir, SegmentSet segments, LogStats stats,
            Maintenance maintenance) {
        this.config = config;
        this.fs = fs;
        this.keydir = keydir;
        this.segments = segments;
        this.stats = stats;
        this.maintenance = maintenance;
    }

    /** Creates and registers an empty segment whose directory entry is durable. */
    Segment newSegment() throws IOException {
        int id = segments.allocateId();
        LogFile file = fs.create(Segment.dataName(id));
        fs.syncDirectory();
        Segment segment = new Segment(id, file, 0);
        segments.add(segment);
        return segment;
    }

    /**
     * A segment stopped being written to: give it a hint file in the background, unless a merge is
     * about to take it (then the merge writes the hints, of its outputs, and gives one to each
     * segment whose hint waited for it and that it left).
     */
    void afterRoll(Segment rolled) {
        maintenance.submit("hint file for segment " + rolled.id, () -> {
            Merger m = merger;
            if (m != null && m.takesSoon(rolled)) {
                stats.hintsDeferred.increment();
                return;
            }
            writeHint(rolled, maintenance::stopped);
        });
    }

    /** Called by the writer after each batch: queue a merge when enough bytes are dead. */
    void afterCommit() {
        Merger m = merger;
        long now = config.clock().getAsLong();
        if (m == null || now - lastMergeCheckNanos < MERGE_CHECK_INTERVAL_NANOS) {
            return;
        }
        lastMergeCheckNanos = now;
        if (m.worthMerging() && mergeQueued.compareAndSet(false, true)) {
            maintenance.submit("merge", () -> {
                try {
                    m.runAutomatic();
                } finally {
                    mergeQueued.set(false);
                }
            });
        }
    }

    /** Takes a segment out of service; its files are deleted once no reader holds it. */
    void retire(Segment segment) {
        segments.retire(segment, s -> maintenance.submit("delete segment " + s.id, () -> deleteFiles(s)));
    }

    private void deleteFiles(Segment segment) throws IOException {
        segment.closeQuietly();
        // Data first: a hint without its data file is ignored (and deleted) at start-up.
        fs.delete(Segment.dataName(segment.id));
        fs.delete(Segment.hintName(segment.id));
        fs.syncDirectory();
        segments.deleted(segment);
        Maintenance.Task then = segment.afterFilesDeleted();
        if (then != null) {
            try {
                then.run();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    /** Scans an immutable segment and publishes its hint file (temp, fsync, rename, fsync dir). */
    void writeHint(Segment segment, java.util.function.BooleanSupplier cancelled) throws IOException {
        if (!segment.tryRetain()) {
            return; // retired meanwhile
        }
        try {
            if (segment.hinted() || !segment.immutable()) {
                return;
            }
            long bytes = segment.bytes();
            try (HintFile.Writer hint = new HintFile.Writer(fs, segment.id)) {
                RecordScanner scanner = new RecordScanner(segment.file, bytes, Recovery.scanBufferBytes(config),
                        config.keyBytesMax(), config.valueBytesMax());
                while (scanner.next()) {
                    if (cancelled.getAsBoolean()) {
                        return;
                    }
                    RecordFormat.Header h = scanner.header;
                    byte[] key = scanner.key();
                    long position = h.kind == RecordFormat.KIND_WIPE ? 0 : RingPosition.of(key);
                    hint.add(h.kind, h.seq, position, h.version, scanner.offset, h.recordBytes(), key);
                }
                hint.finish(bytes);
                hint.publish();
                fs.syncDirectory();
            }
            segment.markHinted();
            stats.hintsWritten.increment();
        } finally {
            segment.release();
        }
    }

    /** The counters and sizes now, for {@link LogEngine#stats()}. */
    LogEngine.Stats snapshot() {
        long live = 0;
        long dead = 0;
        int count = 0;
        for (Segment s : segments.live()) {
            live += s.liveBytes();
            dead += s.deadBytes();
            count++;
        }
        LogStats st = stats;
        return new LogEngine.Stats(keydir.size(), live, dead, segments.totalBytes(), count, st.fsyncs.sum(),
                st.fsyncNanos.sum(), st.batches.sum(), st.batchedOps.sum(), st.batchOpsMax, st.merges.sum(),
                st.mergeBytesRead.sum(), st.mergeBytesWritten.sum(), st.mergeBytesReclaimed.sum(), st.mergeNanos.sum(),
                st.mergeDeadSkipped.sum(),
                st.corruptRecords.sum(), st.corruptBytes.sum(), st.tornTailBytes.sum(), st.badHints.sum(),
                st.hintsWritten.sum(), st.hintsDeferred.sum(), keydir.offHeapBytes(), writer.queue().queuedBytes(), writer.failure());
    }
}
