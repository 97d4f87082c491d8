package io.ringkv.storage.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The PUT records of one segment known to be dead for good: a bit per 16 bytes of file, set at a
 * record's offset when the keydir stops pointing at it (a newer record of the key, or its
 * removal). A record is never referenced again once left, so a set bit is always true; a clear bit
 * only means "ask the keydir". The merger reads it to skip dead records without hashing their
 * keys and probing the keydir, which under overwrites is most of what it reads.
 *
 * <p>Every record is at least {@link RecordFormat#HEADER_BYTES} (over 16) long, so no two records
 * share a bit. Memory is one bit per 16 bytes (1/128 of the file), in 4 KB chunks allocated the
 * first time a record in their half megabyte of file dies, on the heap and within one budget for
 * all segments ({@link #BUDGET_BYTES}): past it no chunk is made, and the merger asks the keydir
 * as it did before marks existed. A segment gives its chunks back when it leaves the live set.
 *
 * <p>Bits are set by the keydir's mutators and read by the merger without a lock: a mark the
 * merger does not see yet costs it a probe, nothing more.
 */
final class DeadRecords {
    /**
     * The heap all segments' marks may hold together: 1/16 of the heap, 4 MB under {@code -Xmx64m},
     * which covers 512 MB of segment files.
     */
    static final long BUDGET_BYTES = Runtime.getRuntime().maxMemory() / 16;

    private static final AtomicLong BUDGET_USED = new AtomicLong();
    private static final int OFFSET_SHIFT = 4;
    private static final int CHUNK_WORDS = 512;
    private static final long CHUNK_BYTES = CHUNK_WORDS * (long) Long.BYTES;
    /** File bytes one chunk covers: 512 words × 64 bits × 16 bytes = 512 KB. */
    private static final int CHUNK_SHIFT = 19;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long[][] NONE = new long[0][];

    static {
        if (RecordFormat.HEADER_BYTES <= 1 << OFFSET_SHIFT) {
            throw new ExceptionInInitializerError("records must be longer than a bit's 16 bytes");
        }
    }

    private final long budgetBytes;
    /** Chunks are only ever added (never replaced) until {@link #release}. */
    private volatile long[][] chunks = NONE;
    private int chunksHeld;
    private boolean released;

    DeadRecords() {
        this(BUDGET_BYTES);
    }

    /** With another budget for all segments' marks (tests). */
    DeadRecords(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    /** The PUT record at offset (unsigned) is dead for good. */
    void mark(int offset) {
        long at = Integer.toUnsignedLong(offset);
        long[] words = chunk((int) (at >>> CHUNK_SHIFT));
        if (words != null) {
            int bit = bitInChunk(at);
            WORDS.getAndBitwiseOrRelease(words, bit >>> 6, 1L << bit);
        }
    }

    /** True only if the PUT record at offset was marked dead; false says nothing. */
    boolean isDead(long offset) {
        long[][] c = chunks;
        int chunk = (int) (offset >>> CHUNK_SHIFT);
        if (chunk >= c.length || c[chunk] == null) {
            return false;
        }
        int bit = bitInChunk(offset);
        return ((long) WORDS.getAcquire(c[chunk], bit >>> 6) & 1L << bit) != 0;
    }

    private static int bitInChunk(long offset) {
        return (int) (offset >>> OFFSET_SHIFT) & (CHUNK_WORDS * 64 - 1);
    }

    /** Gives the chunks back to the budget; marks made after are dropped. Idempotent. */
    synchronized void release() {
        released = true;
        chunks = NONE;
        BUDGET_USED.addAndGet(-chunksHeld * CHUNK_BYTES);
        chunksHeld = 0;
    }

    /** Heap the marks of every segment hold now. */
    static long budgetUsed() {
        return BUDGET_USED.get();
    }

    /** The chunk for marking, made if the budget allows; null if not. */
    private long[] chunk(int chunk) {
        long[][] c = chunks;
        if (chunk < c.length && c[chunk] != null) {
            return c[chunk];
        }
        synchronized (this) {
            c = chunks;
            if (chunk < c.length && c[chunk] != null) {
                return c[chunk];
            }
            if (released) {
                return null;
            }
            if (BUDGET_USED.addAndGet(CHUNK_BYTES) > budgetBytes) {
                BUDGET_USED.addAndGet(-CHUNK_BYTES);
                return null;
            }
            chunksHeld++;
            c = chunk < c.length ? c.clone() : Arrays.copyOf(c, Math.max(chunk + 1, c.length * 2));
            c[chunk] = new long[CHUNK_WORDS];
            chunks = c;
            return c[chunk];
        }
    }
}
