package io.ringkv.storage.log;

import io.ringkv.common.RingPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction: rewrites the live records of some immutable segments into new segments with hints,
 * then retires the old ones. Runs on the maintenance thread; readers and the writer go on.
 *
 * <p>Steps, and why each is safe to crash after:
 * <ol>
 * <li>Scan each input (every CRC checked) and copy a record to {@code <id>.data.tmp} if the keydir
 *     still names its seq (a live value), or if it is a tombstone or wipe that must stay (below);
 *     write the matching {@code <id>.hint.tmp}. Temp files are deleted at start-up. A value the
 *     keydir left since this process started is marked in its segment's {@link DeadRecords} and
 *     passed over without hashing its key or asking the keydir.
 * <li>fsync outputs and hints. Unless the policy is ALWAYS, ask the writer for an fsync too: the
 *     merge dropped records because the keydir held newer ones, which must be on disk before
 *     the dropped ones may disappear.
 * <li>Rename data then hint into place; fsync the directory. Inputs and outputs now both hold the
 *     same records with the same seqs, which recovery resolves by seq (any order of files).
 * <li>Point the keydir at the copies where it still names the same seq (a concurrent newer write
 *     wins), re-reading the outputs' hints so no list of keys is ever held on the heap.
 * <li>Retire the inputs: their files go once no reader holds them, one by one, in any order.
 * </ol>
 *
 * <p><b>Tombstones never resurrect a key.</b> A tombstone (or wipe) record T in input B is dropped
 * only if the key has no live entry (else a newer record supersedes T) and no segment on disk
 * other than B has a record older than T (minSeq &lt; T). Then every record T shadows sits in B
 * itself, and deleting B removes T and them together, with one unlink. Kept tombstones count as
 * live bytes in the output, so that a merge does not call for itself again; a later merge, once
 * the older segments are gone, drops them.
 */
final class Merger {
    private static final Logger log = LoggerFactory.getLogger(Merger.class);

    /** Automatic merges wait this long after the last one, so a merge that frees little cannot loop. */
    static final long BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** One merge reads at most this many segments. */
    static final int INPUT_SEGMENTS_MAX = 64;
    static final long BARRIER_TIMEOUT_SECONDS = 60;

    /** What one merge did. */
    record Report(int inputs, List<Integer> outputs, long bytesRead, long bytesWritten, long bytesReclaimed,
            long markersKept, boolean aborted) {
        static final Report NOTHING = new Report(0, List.of(), 0, 0, 0, 0, false);
    }

    private final LogContext ctx;
    private volatile long lastMergeEndNanos = Long.MIN_VALUE / 2;

    Merger(LogContext ctx) {
        this.ctx = ctx;
    }

    /** Whether dead bytes in immutable segments passed both thresholds (cheap; writer thread). */
    boolean worthMerging() {
        return ctx.config.clock().getAsLong() - lastMergeEndNanos >= BACKOFF_NANOS && deadPastThresholds();
    }

    /**
     * Whether an automatic merge will take {@code rolled}, a segment just rolled, soon: it is dead
     * past the ratio that makes it an input, and the dead bytes pass the thresholds that start a
     * merge (at the latest once the backoff after the last one ends, on the next commit). Under
     * overwrites a rolled segment is often nearly all dead already; its hint file would be read by
     * nobody, since the merge replaces it with hinted outputs.
     */
    boolean takesSoon(Segment rolled) {
        return takes(rolled) && deadPastThresholds();
    }

    /** Whether {@link #runAutomatic} takes this segment as an input (unless it takes them all). */
    private boolean takes(Segment s) {
        return s.bytes() > 0 && s.deadBytes() >= ctx.config.mergeDeadRatio() * s.bytes();
    }

    private boolean deadPastThresholds() {
        if (ctx.config.mergeDeadRatio() > 1) {
            return false;
        }
        long dead = 0;
        long total = 0;
        for (Segment s : ctx.segments.live()) {
            if (s.immutable()) {
                dead += s.deadBytes();
                total += s.bytes();
            }
        }
        return dead >= ctx.config.mergeMinDeadBytes() && dead >= ctx.config.mergeDeadRatio() * total && dead > 0;
    }

    void runAutomatic() throws IOException {
        List<Segment> immutable = immutableSegments();
        List<Segment> inputs = new ArrayList<>();
        for (Segment s : immutable) {
            if (takes(s)) {
                inputs.add(s);
            }
        }
        if (inputs.isEmpty()) {
            inputs = immutable; // dead bytes spread thin over many segments: take them all
        }
        List<Segment> chosen = limit(inputs);
        Report report = merge(chosen);
        if (report.aborted()) {
            return;
        }
        // Segments whose hint waited for this merge (takesSoon) and that it did not take (the
        // limits, or no longer dead enough) get their hint now.
        for (Segment s : immutable) {
            if (!s.hinted() && (report.inputs() == 0 || !chosen.contains(s))) {
                ctx.writeHint(s, ctx.maintenance::stopped);
            }
        }
    }

    /** Merges every immutable segment with dead bytes, then once more what kept tombstones. */
    Report compact() throws IOException {
        List<Segment> inputs = new ArrayList<>();
        for (Segment s : immutableSegments()) {
            if (s.deadBytes() > 0) {
                inputs.add(s);
            }
        }
        Report first = merge(limit(inputs));
        if (first.aborted() || first.markersKept() == 0) {
            return first;
        }
        List<Segment> again = new ArrayList<>();
        for (int id : first.outputs()) {
            Segment s = ctx.segments.get(id);
            if (s != null) {
                again.add(s);
            }
        }
        Report second = merge(again);
        return new Report(first.inputs() + second.inputs(), second.outputs(), first.bytesRead() + second.bytesRead(),
                first.bytesWritten() + second.bytesWritten(), first.bytesReclaimed() + second.bytesReclaimed(),
                second.markersKept(), second.aborted());
    }

    private List<Segment> immutableSegments() {
        List<Segment> list = new ArrayList<>();
        for (Segment s : ctx.segments.live()) {
            if (s.immutable() && s != ctx.writer.active()) {
                list.add(s);
            }
        }
        return list;
    }

    private List<Segment> limit(List<Segment> inputs) throws IOException {
        // Never start what the disk cannot hold: the outputs need up to the inputs' live bytes.
        long room = ctx.fs.usableBytes() - ctx.config.minFreeDiskBytes() / 2;
        List<Segment> chosen = new ArrayList<>();
        long need = 0;
        for (Segment s : inputs) {
            if (chosen.size() == INPUT_SEGMENTS_MAX || need + s.liveBytes() > room) {
                break;
            }
            chosen.add(s);
            need += s.liveBytes();
        }
        return chosen;
    }

    /** Merges the given immutable segments (see the class comment for the steps). */
    Report merge(List<Segment> requested) throws IOException {
        List<Segment> inputs = new ArrayList<>();
        for (Segment s : requested) {
            if (s.tryRetain()) {
                inputs.add(s);
            }
        }
        if (inputs.isEmpty()) {
            return Report.NOTHING;
        }
        long startNanos = ctx.config.clock().getAsLong();
        long epoch = ctx.wipeEpoch.get();
        long oldestOutside = oldestSeqOutside(inputs);
        List<Output> outputs = new ArrayList<>();
        long bytesRead = 0;
        long markersKept = 0;
        long deadSkipped = 0;
        boolean corruptSeen = false;
        try {
            Output out = null;
            for (Segment in : inputs) {
                RecordScanner scanner = new RecordScanner(in.file, in.bytes(), Recovery.scanBufferBytes(ctx.config),
                        ctx.config.keyBytesMax(), ctx.config.valueBytesMax());
                while (scanner.next()) {
                    if (abandoned(epoch)) {
                        return aborted(inputs.size());
                    }
                    RecordFormat.Header h = scanner.header;
                    if (h.kind == RecordFormat.KIND_PUT && in.deadRecords.isDead(scanner.offset)) {
                        deadSkipped++;
                        continue;
                    }
                    byte[] key = scanner.key();
                    long position = h.kind == RecordFormat.KIND_WIPE ? 0 : RingPosition.of(key);
                    boolean keep = switch (h.kind) {
                        case RecordFormat.KIND_PUT -> ctx.keydir.seqOf(key, position) == h.seq;
                        case RecordFormat.KIND_TOMBSTONE ->
                                ctx.keydir.seqOf(key, position) == 0 && oldestOutside < h.seq;
                        default -> oldestOutside < h.seq;
                    };
                    if (!keep) {
                        continue;
                    }
                    int length = h.recordBytes();
                    if (out == null || out.bytes > 0 && out.bytes + length > ctx.config.segmentBytes()) {
                        if (out != null) {
                            out.finish();
                        }
                        out = new Output(ctx.segments.allocateId());
                        outputs.add(out);
                    }
                    long offset = out.bytes;
                    scanner.copyTo(out::append);
                    out.hint.add(h.kind, h.seq, position, h.version, offset, length, key);
                    out.minSeq = Math.min(out.minSeq, h.seq);
                    out.maxSeq = Math.max(out.maxSeq, h.seq);
                    if (h.kind != RecordFormat.KIND_PUT) {
                        out.markerBytes += length;
                        markersKept++;
                    }
                }
                if (scanner.corruptRegions > 0 || scanner.tailStart >= 0) {
                    corruptSeen = true;
                    ctx.stats.corruptRecords.add(scanner.corruptRegions + (scanner.tailStart >= 0 ? 1 : 0));
                    ctx.stats.corruptBytes.add(scanner.corruptBytes + (scanner.tailStart >= 0 ? in.bytes() - scanner.tailStart : 0));
                    log.warn("merge: segment {} has corrupt regions ({} in the middle, tail at {}); their records are lost",
                            in.id, scanner.corruptRegions, scanner.tailStart);
                }
                bytesRead += in.bytes();
            }
            if (out != null) {
                out.finish();
            }
            if (!(ctx.config.fsync() instanceof FsyncPolicy.Always)) {
                ctx.writer.queue().control(WriteQueue.ControlKind.SYNC).get(BARRIER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            List<Segment> added = publish(outputs, inputs, epoch);
            if (added == null) {
                return aborted(inputs.size());
            }
            for (int i = 0; i < outputs.size(); i++) {
                relocate(outputs.get(i), added.get(i));
            }
            if (corruptSeen) {
                dropDangling(inputs);
            }
            long written = 0;
            for (Output o : outputs) {
                written += o.bytes;
            }
            for (Segment in : inputs) {
                ctx.retire(in);
            }
            long nanos = ctx.config.clock().getAsLong() - startNanos;
            ctx.stats.merges.increment();
            ctx.stats.mergeBytesRead.add(bytesRead);
            ctx.stats.mergeBytesWritten.add(written);
            ctx.stats.mergeBytesReclaimed.add(Math.max(0, bytesRead - written));
            ctx.stats.mergeNanos.add(nanos);
            ctx.stats.mergeDeadSkipped.add(deadSkipped);
            List<Integer> ids = new ArrayList<>();
            for (Output o : outputs) {
                ids.add(o.id);
            }
            log.info("merged {} segments ({} bytes) into {} ({} bytes) in {} ms; {} tombstones kept",
                    inputs.size(), bytesRead, ids, written, nanos / 1_000_000, markersKept);
            return new Report(inputs.size(), ids, bytesRead, written, Math.max(0, bytesRead - written), markersKept, false);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("merge abandoned: the writer could not fsync ({})", e.toString());
            return aborted(inputs.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return aborted(inputs.size());
        } finally {
            for (Output o : outputs) {
                if (!o.registered) {
                    o.abandon();
                }
            }
            for (Segment in : inputs) {
                in.release();
            }
            lastMergeEndNanos = ctx.config.clock().getAsLong();
        }
    }

    private boolean abandoned(long epoch) {
        return ctx.closing || ctx.maintenance.stopped() || ctx.wipeEpoch.get() != epoch;
    }

    private static Report aborted(int inputs) {
        return new Report(inputs, List.of(), 0, 0, 0, 0, true);
    }

    /**
     * Renames the outputs into place and registers them, then commits the merge with its manifest,
     * unless a wipe came in between. Outputs are registered as soon as they are on disk under
     * their names, so that later merges account for them even if the commit fails. Returns the
     * registered outputs, or null if nothing was published.
     */
    private List<Segment> publish(List<Output> outputs, List<Segment> inputs, long epoch) throws IOException {
        ctx.structure.lock();
        try {
            if (abandoned(epoch)) {
                return null;
            }
            for (Output o : outputs) {
                ctx.fs.rename(Segment.dataName(o.id) + Segment.TMP_SUFFIX, Segment.dataName(o.id));
                o.hint.publish();
            }
            ctx.fs.syncDirectory();
            List<Segment> added = new ArrayList<>();
            for (Output o : outputs) {
                Segment s = new Segment(o.id, o.file, o.bytes);
                s.noteSeq(o.minSeq);
                s.noteSeq(o.maxSeq);
                s.markImmutable();
                s.markHinted();
                s.setDead(o.bytes - o.markerBytes); // live bytes are added back as the keydir moves over
                ctx.segments.add(s);
                o.registered = true;
                added.add(s);
            }
            List<Integer> ids = new ArrayList<>();
            for (Segment in : inputs) {
                ids.add(in.id);
            }
            int manifestId = ctx.segments.allocateId();
            MergeManifest.write(ctx.fs, manifestId, ids);
            ctx.fs.syncDirectory(); // the commit point: from here on the inputs are obsolete
            ManifestCleanup cleanup = new ManifestCleanup(manifestId, inputs.size());
            for (Segment in : inputs) {
                in.afterFilesDeleted(cleanup::inputDeleted);
            }
            return added;
        } finally {
            ctx.structure.unlock();
        }
    }

    /** Deletes a manifest once every input it names is gone from disk. */
    private final class ManifestCleanup {
        private final int manifestId;
        private final java.util.concurrent.atomic.AtomicInteger remaining;

        ManifestCleanup(int manifestId, int inputs) {
            this.manifestId = manifestId;
            this.remaining = new java.util.concurrent.atomic.AtomicInteger(inputs);
        }

        void inputDeleted() throws IOException {
            if (remaining.decrementAndGet() == 0) {
                ctx.fs.delete(MergeManifest.name(manifestId));
                ctx.fs.syncDirectory();
            }
        }
    }

    private void relocate(Output out, Segment segment) throws IOException {
        try (LogFile hint = ctx.fs.open(Segment.hintName(out.id))) {
            String problem = HintFile.load(hint, out.id, out.bytes, (kind, seq, position, version, offset, length, key) -> {
                if (kind == RecordFormat.KIND_PUT && ctx.keydir.relocate(key, position, seq, out.id, (int) offset)) {
                    segment.addDead(-length);
                }
            });
            if (problem != null) {
                throw new IOException("hint of merge output " + out.id + " reads back damaged: " + problem);
            }
        }
    }

    /** Removes keydir entries still pointing into the inputs: their records failed the CRC. */
    private void dropDangling(List<Segment> inputs) {
        Set<Integer> ids = new HashSet<>();
        for (Segment s : inputs) {
            ids.add(s.id);
        }
        Keydir.Chunk chunk = new Keydir.Chunk(1024);
        long from = 0;
        int skip = 0;
        boolean more = true;
        long dropped = 0;
        while (more) {
            more = ctx.keydir.collect(from, skip, -1L, chunk);
            for (int i = 0; i < chunk.count; i++) {
                if (ids.contains(chunk.segmentId[i])
                        && ctx.keydir.removeIfSeq(chunk.key[i], chunk.position[i], chunk.seq[i])) {
                    dropped++;
                }
            }
            if (chunk.count > 0) {
                long end = chunk.position[chunk.count - 1];
                skip = end == from ? skip + chunk.trailingRun() : chunk.trailingRun();
                from = end;
            }
        }
        if (dropped > 0) {
            log.warn("merge: {} keys whose only record was corrupt are gone", dropped);
        }
    }

    /** The smallest seq of any record in a segment on disk that is not an input. */
    private long oldestSeqOutside(List<Segment> inputs) {
        long oldest = Long.MAX_VALUE;
        for (Segment s : ctx.segments.onDisk()) {
            if (!inputs.contains(s)) {
                oldest = Math.min(oldest, s.minSeq());
            }
        }
        return oldest;
    }

    /** One output segment being written under its temp names. */
    private final class Output {
        final int id;
        final LogFile file;
        final HintFile.Writer hint;
        final ByteBuffer buf = ByteBuffer.allocate(256 << 10);
        long bytes;
        long minSeq = Long.MAX_VALUE;
        long maxSeq;
        long markerBytes;
        boolean registered;

        Output(int id) throws IOException {
            this.id = id;
            this.file = ctx.fs.create(Segment.dataName(id) + Segment.TMP_SUFFIX);
            this.hint = new HintFile.Writer(ctx.fs, id);
        }

        void append(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n > buf.remaining()) {
                flush();
            }
            if (n > buf.capacity()) {
                file.append(src);
            } else {
                buf.put(src);
            }
            bytes += n;
        }

        void finish() throws IOException {
            flush();
            file.force();
            hint.finish(bytes);
        }

        private void flush() throws IOException {
            buf.flip();
            file.append(buf);
            buf.clear();
        }

        void abandon() {
            try {
                file.close();
            } catch (IOException ignored) {
                // deleting it anyway
            }
            hint.close();
            try {
                ctx.fs.delete(Segment.dataName(id) + Segment.TMP_SUFFIX);
                ctx.fs.delete(HintFile.Writer.tmpName(id));
            } catch (IOException ignored) {
                // leftovers are deleted at the next start
            }
        }
    }
}
