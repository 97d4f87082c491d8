package io.ringkv.storage.log;

import io.ringkv.storage.StorageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ring-range operations: stream or drop every live key whose ring position lies in
 * {@code (startExclusive, endInclusive]} (unsigned, wrapping; equal ends mean the whole ring).
 *
 * <p>The keydir is sorted by ring position, so a range is walked in chunks of {@link #CHUNK_KEYS}
 * entries; the keydir's read lock is held only while a chunk's locations are copied, and values
 * are read from disk after it is released. Foreground reads and writes go on throughout. A write
 * to the range while it is walked may or may not be seen (the ring layer write-locks or
 * dual-writes a moving range).
 */
final class RangeOps {
    private static final Logger log = LoggerFactory.getLogger(RangeOps.class);

    static final int CHUNK_KEYS = 256;

    private final LogContext ctx;
    private final LogEngine engine;

    RangeOps(LogContext ctx, LogEngine engine) {
        this.ctx = ctx;
        this.engine = engine;
    }

    /** The range as one or two unsigned inclusive intervals {lo, hi}. */
    static List<long[]> intervals(long startExclusive, long endInclusive) {
        List<long[]> list = new ArrayList<>(2);
        if (startExclusive == endInclusive) {
            list.add(new long[] {0, -1L});
        } else if (Long.compareUnsigned(startExclusive, endInclusive) < 0) {
            list.add(new long[] {startExclusive + 1, endInclusive});
        } else {
            if (startExclusive != -1L) {
                list.add(new long[] {startExclusive + 1, -1L});
            }
            list.add(new long[] {0, endInclusive});
        }
        return list;
    }

    void scan(long startExclusive, long endInclusive, Consumer<LogEngine.LiveRecord> sink) {
        walk(startExclusive, endInclusive, chunk -> {
            for (int i = 0; i < chunk.count; i++) {
                LogEngine.LiveRecord record = read(chunk, i);
                if (record != null) {
                    sink.accept(record);
                }
            }
            return chunk.count > 0 ? chunk.trailingRun() : 0;
        });
    }

    /**
     * What a walk does with each chunk. Returns how many of the chunk's entries at its last ring
     * position are still in the keydir, so that the next chunk starts right after them.
     */
    @FunctionalInterface
    private interface ChunkVisitor {
        int visit(Keydir.Chunk chunk);
    }

    /** Walks the range chunk by chunk in ring order; the keydir is locked only while a chunk is copied. */
    private void walk(long startExclusive, long endInclusive, ChunkVisitor visitor) {
        Keydir.Chunk chunk = new Keydir.Chunk(CHUNK_KEYS);
        for (long[] interval : intervals(startExclusive, endInclusive)) {
            long from = interval[0];
            int skip = 0;
            boolean more = true;
            while (more) {
                more = ctx.keydir.collect(from, skip, interval[1], chunk);
                int remaining = visitor.visit(chunk);
                if (chunk.count > 0) {
                    long end = chunk.position[chunk.count - 1];
                    skip = end == from ? skip + remaining : remaining;
                    from = end;
                }
            }
        }
    }

    private LogEngine.LiveRecord read(Keydir.Chunk chunk, int i) {
        Segment segment = ctx.segments.retain(chunk.segmentId[i]);
        if (segment == null) {
            // Merged away since the chunk was copied: look the key up afresh.
            var current = engine.get(chunk.key[i]);
            return current == null ? null : new LogEngine.LiveRecord(chunk.key[i], current.value(), current.version());
        }
        try {
            return RecordReader.read(segment, chunk.offset[i], chunk.length[i], chunk.seq[i], chunk.key[i],
                    ctx.config.recordBytesMax());
        } catch (RecordReader.CorruptRecordException e) {
            ctx.stats.corruptRecords.increment();
            log.warn("range scan skips a corrupt record: {}", e.getMessage());
            return null;
        } catch (IOException e) {
            throw new StorageException(StorageException.Reason.FAILURE, "range scan read failed: " + e, e);
        } finally {
            segment.release();
        }
    }

    /** Removes the range chunk by chunk through the writer; returns how many keys it removed. */
    long drop(long startExclusive, long endInclusive) {
        long[] removed = {0};
        walk(startExclusive, endInclusive, chunk -> {
            List<CompletableFuture<Boolean>> removes = new ArrayList<>(chunk.count);
            for (int i = 0; i < chunk.count; i++) {
                removes.add(ctx.writer.queue().remove(chunk.key[i], chunk.position[i], true));
            }
            for (CompletableFuture<Boolean> r : removes) {
                if (r.join()) {
                    removed[0]++;
                }
            }
            // Removed keys left the keydir; only those still there (re-put meanwhile) are skipped.
            int stillThere = 0;
            if (chunk.count > 0) {
                long end = chunk.position[chunk.count - 1];
                for (int i = chunk.count - 1; i >= 0 && chunk.position[i] == end; i--) {
                    if (ctx.keydir.get(chunk.key[i], end) != null) {
                        stillThere++;
                    }
                }
            }
            return stillThere;
        });
        ctx.writer.queue().control(WriteQueue.ControlKind.SYNC).join();
        return removed[0];
    }
}
