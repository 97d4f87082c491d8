package io.ringkv.storage.log;

import java.lang.foreign.Arena;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.StampedLock;

/**
 * Key → where its newest record lies: an off-heap open-addressing table kept sorted by the key's
 * ring position (first 8 bytes of its MD5, see {@link io.ringkv.common.RingPosition}).
 *
 * <p><b>Why this shape.</b> A node runs with {@code -Xmx64m} and must hold 5–10 million keys, so
 * the table lives in {@link Arena} memory (not capped by the heap, unlike direct ByteBuffers) and
 * holds no objects. A key's home slot is {@code unsignedMultiplyHigh(position, capacity)}, which is
 * monotonic in the position, and each cluster is kept sorted by position (ordered linear probing,
 * Amble &amp; Knuth): the whole table is then in ring order, so a ring range is a run of slots
 * ({@link #collect}), a miss stops at the first larger position, and the capacity can grow by
 * 1.5× instead of doubling. Keys up to 16 bytes sit inline; longer ones go to a {@link KeyArena}
 * and the slot keeps their first 8 bytes. Keys are compared exactly: no record on disk is needed to
 * tell two keys apart, which keeps writes and restarts free of random reads.
 *
 * <p><b>Cost.</b> 52 bytes per slot (layout in {@link KeydirTable}), at a load between 0.53 and
 * 0.8 after the first growths: 65–98 bytes per key (measured with 16-byte keys: 79.9 at 1 million,
 * 80.9 at 5 million, 91.0 at 10 million), plus the 8-byte-rounded key for keys over 16 bytes.
 * While the table grows, the old and the new one coexist for a moment (about 2.5× the table).
 *
 * <p><b>Thread-safety.</b> Any number of readers run concurrently under a {@link StampedLock} read
 * lock held only for the in-memory lookup (never across disk I/O). Mutators (the group-commit
 * writer, the merger) are serialized by a separate mutex and take the write lock only for the few
 * stores that publish a change, so a growth (which copies the table) proceeds while readers keep
 * using the old table; readers wait only for the final pointer swap.
 */
final class Keydir implements AutoCloseable {
    static final int KEY_INLINE_BYTES = KeydirTable.KEY_INLINE_BYTES;
    /** Beyond this load the table grows by {@link #GROWTH}. */
    static final double LOAD_MAX = 0.8;
    static final double GROWTH = 1.5;
    /** The load a table sized by {@link #reserve} reaches once every announced record is in. */
    static final double RESERVE_LOAD = 0.75;
    static final long CAPACITY_MIN = 1024;
    /** 2^31 slots ≈ 112 GB of table: far past any node, but still a limit. */
    static final long CAPACITY_LIMIT = 1L << 31;

    /** Where a key's record is, as seen by one lookup. */
    record Entry(long seq, int segmentId, int offset, int length, int version) {}

    /** Told, under the mutators' lock, of the PUT record an update or a removal leaves behind. */
    interface Displaced {
        void record(int segmentId, int offset, int length);
    }

    private final ReentrantLock mutators = new ReentrantLock();
    private final StampedLock lock = new StampedLock();
    /** Replaced only under the write lock; read under the read lock or by a mutator. */
    private KeydirTable table;
    private KeyArena overflow = new KeyArena();
    /** Written by mutators only. */
    private volatile long size;
    /** Tombstones seen while recovering (single-threaded then). */
    private long recoveredTombstones;

    Keydir(long initialCapacity) {
        table = new KeydirTable(Math.max(CAPACITY_MIN, initialCapacity));
    }

    long size() {
        return size;
    }

    long capacity() {
        long stamp = lock.readLock();
        try {
            return table.capacity;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Off-heap bytes held: the table and the long-key arena. */
    long offHeapBytes() {
        long stamp = lock.readLock();
        try {
            return table.bytes() + overflow.bytes();
        } finally {
            lock.unlockRead(stamp);
        }
    }

    Entry get(byte[] key, long position) {
        long stamp = lock.readLock();
        try {
            KeydirTable t = table;
            long i = t.find(key, position, overflow);
            if (i < 0 || t.flags(i) != 0) {
                return null;
            }
            return t.entry(i);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** The seq of the key's entry, or 0 when absent (tombstones of recovery count as absent). */
    long seqOf(byte[] key, long position) {
        Entry e = get(key, position);
        return e == null ? 0 : e.seq();
    }

    /**
     * Points key at a new record. Returns the previous entry's {@code segmentId << 32 | length}
     * (so the caller can count those bytes dead) or -1 if the key was absent.
     */
    long put(byte[] key, long position, long seq, int segmentId, int offset, int length, int version) {
        return put(key, position, seq, segmentId, offset, length, version, null);
    }

    /** {@link #put}, telling {@code displaced} (if not null) of the record it replaced. */
    long put(byte[] key, long position, long seq, int segmentId, int offset, int length, int version,
            Displaced displaced) {
        return upsert(key, position, seq, segmentId, offset, length, version, (byte) 0, false, displaced);
    }

    /** Removes key; returns the previous entry as {@link #put} does, or -1 if absent. */
    long remove(byte[] key, long position) {
        return remove(key, position, null);
    }

    /** {@link #remove}, telling {@code displaced} (if not null) of the record it removed. */
    long remove(byte[] key, long position, Displaced displaced) {
        mutators.lock();
        try {
            KeydirTable t = table;
            long i = t.find(key, position, overflow);
            if (i < 0) {
                return -1;
            }
            long previous = t.packed(i);
            tellDisplaced(t, i, displaced);
            int keyLength = t.keyLength(i);
            long handle = keyLength > KEY_INLINE_BYTES ? t.handle(i) : -1;
            long stamp = lock.writeLock();
            try {
                t.deleteAt(i);
            } finally {
                lock.unlockWrite(stamp);
            }
            if (handle >= 0) {
                overflow.free(handle, keyLength); // no reader can reach it any more
            }
            size = size - 1;
            return previous;
        } finally {
            mutators.unlock();
        }
    }

    /**
     * Moves key's entry to a new place if it still refers to the record with this seq (the merger
     * copied it); a newer write in the meantime wins. Returns whether it moved.
     */
    boolean relocate(byte[] key, long position, long seq, int segmentId, int offset) {
        mutators.lock();
        try {
            KeydirTable t = table;
            long i = t.find(key, position, overflow);
            if (i < 0 || t.seq(i) != seq || t.flags(i) != 0) {
                return false;
            }
            long stamp = lock.writeLock();
            try {
                t.moveTo(i, segmentId, offset);
            } finally {
                lock.unlockWrite(stamp);
            }
            return true;
        } finally {
            mutators.unlock();
        }
    }

    /** Removes key if its entry still refers to the record with this seq; returns whether it did. */
    boolean removeIfSeq(byte[] key, long position, long seq) {
        mutators.lock();
        try {
            Entry e = get(key, position);
            if (e == null || e.seq() != seq) {
                return false;
            }
            remove(key, position); // reentrant: still under the mutex, so nothing changed in between
            return true;
        } finally {
            mutators.unlock();
        }
    }

    /**
     * Recovery: applies one record found on disk, keeping whichever of it and the current entry has
     * the higher seq. Tombstones are kept as flagged entries until {@link #finishRecovery}, so that
     * the order in which segments are read does not matter.
     */
    void recover(byte[] key, long position, long seq, int segmentId, int offset, int length, int version, boolean tombstone) {
        if (tombstone) {
            recoveredTombstones++;
        }
        upsert(key, position, seq, segmentId, offset, length, version, tombstone ? KeydirTable.FLAG_TOMBSTONE : 0, true,
                null);
    }

    /**
     * Grows the table in one step to hold keys entries at a load of {@link #RESERVE_LOAD}: recovery
     * knows from the hint files about how many records it will load, and one allocation beats a
     * dozen growths. An overestimate (dead records) is given back by {@link #finishRecovery}.
     */
    void reserve(long keys) {
        mutators.lock();
        try {
            long capacity = Math.max(CAPACITY_MIN, (long) Math.ceil(keys / RESERVE_LOAD));
            if (capacity > table.capacity) {
                rebuild(Math.min(capacity, CAPACITY_LIMIT), null);
            }
        } finally {
            mutators.unlock();
        }
    }

    /**
     * Drops the tombstones of recovery and every entry older than the newest wipe, and shrinks a
     * table that {@link #reserve} made much larger than the keys that turned out live.
     */
    void finishRecovery(long wipeSeq) {
        mutators.lock();
        try {
            boolean oversized = table.capacity > CAPACITY_MIN && size < table.capacity * LOAD_MAX / GROWTH / 2;
            if (wipeSeq > 0 || recoveredTombstones > 0 || oversized) {
                rebuild(capacityFor(size), t -> t.flags == 0 && t.seq >= wipeSeq);
            }
        } finally {
            mutators.unlock();
        }
    }

    /** Removes every key (wipe). */
    void clear() {
        mutators.lock();
        try {
            KeydirTable fresh = new KeydirTable(CAPACITY_MIN);
            KeyArena freshOverflow = new KeyArena();
            KeydirTable old;
            KeyArena oldOverflow;
            long stamp = lock.writeLock();
            try {
                old = table;
                oldOverflow = overflow;
                table = fresh;
                overflow = freshOverflow;
                size = 0;
            } finally {
                lock.unlockWrite(stamp);
            }
            old.close();
            oldOverflow.close();
        } finally {
            mutators.unlock();
        }
    }

    /** Visits every entry (recovery accounting); the caller must be the only user of the keydir. */
    void forEach(Visitor visitor) {
        KeydirTable t = table;
        for (long i = 0; i < t.slots; i++) {
            if (t.seq(i) != 0) {
                visitor.visit(t.segmentId(i), t.length(i), t.flags(i) != 0);
            }
        }
    }

    interface Visitor {
        void visit(int segmentId, int length, boolean tombstone);
    }

    /**
     * Copies into out, in position order, the entries whose position lies in
     * [fromInclusive, toInclusive] (unsigned), skipping the first skipAtFrom entries positioned
     * exactly at fromInclusive (those a previous chunk already delivered: distinct keys can share
     * a position). Returns true if it stopped because out was full, i.e. more may follow.
     */
    boolean collect(long fromInclusive, int skipAtFrom, long toInclusive, Chunk out) {
        out.count = 0;
        int skipped = 0;
        long stamp = lock.readLock();
        try {
            KeydirTable t = table;
            for (long i = t.home(fromInclusive); i < t.slots; i++) {
                if (t.seq(i) == 0) {
                    continue;
                }
                long p = t.position(i);
                if (Long.compareUnsigned(p, fromInclusive) < 0) {
                    continue;
                }
                if (Long.compareUnsigned(p, toInclusive) > 0) {
                    return false;
                }
                if (p == fromInclusive && skipped < skipAtFrom) {
                    skipped++;
                    continue;
                }
                if (out.count == out.capacity()) {
                    return true;
                }
                if (t.flags(i) == 0) {
                    out.add(t, i, t.copyKey(i, overflow));
                }
            }
            return false;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Reusable arrays for {@link #collect}: one chunk of a range scan. */
    static final class Chunk {
        final long[] position;
        final long[] seq;
        final int[] segmentId;
        final int[] offset;
        final int[] length;
        final byte[][] key;
        int count;

        Chunk(int capacity) {
            position = new long[capacity];
            seq = new long[capacity];
            segmentId = new int[capacity];
            offset = new int[capacity];
            length = new int[capacity];
            key = new byte[capacity][];
        }

        int capacity() {
            return position.length;
        }

        /** How many entries at the end of this chunk share its last position. */
        int trailingRun() {
            int run = 0;
            for (int i = count - 1; i >= 0 && position[i] == position[count - 1]; i--) {
                run++;
            }
            return run;
        }

        private void add(KeydirTable t, long i, byte[] k) {
            position[count] = t.position(i);
            seq[count] = t.seq(i);
            segmentId[count] = t.segmentId(i);
            offset[count] = t.offset(i);
            length[count] = t.length(i);
            key[count] = k;
            count++;
        }
    }

    @Override
    public void close() {
        mutators.lock();
        try {
            long stamp = lock.writeLock();
            try {
                table.close();
                overflow.close();
            } finally {
                lock.unlockWrite(stamp);
            }
        } finally {
            mutators.unlock();
        }
    }

    /** Tells {@code displaced} (if any) of slot i's record, unless it is a recovery tombstone. */
    private static void tellDisplaced(KeydirTable t, long i, Displaced displaced) {
        if (displaced != null && t.flags(i) == 0) {
            displaced.record(t.segmentId(i), t.offset(i), t.length(i));
        }
    }

    private long upsert(byte[] key, long position, long seq, int segmentId, int offset, int length, int version,
            byte flags, boolean onlyIfNewer, Displaced displaced) {
        mutators.lock();
        try {
            while (true) {
                KeydirTable t = table;
                long i = t.find(key, position, overflow);
                if (i >= 0) {
                    if (onlyIfNewer && t.seq(i) >= seq) {
                        return -1;
                    }
                    long previous = t.flags(i) != 0 ? -1 : t.packed(i);
                    tellDisplaced(t, i, displaced);
                    long stamp = lock.writeLock();
                    try {
                        t.writeLocation(i, seq, segmentId, offset, length, version, flags);
                    } finally {
                        lock.unlockWrite(stamp);
                    }
                    return previous;
                }
                long insertAt = -i - 1;
                long empty = t.firstEmptyFrom(insertAt);
                if (empty < 0 || size + 1 > (long) (t.capacity * LOAD_MAX)) {
                    grow();
                    continue;
                }
                long handle = key.length > KEY_INLINE_BYTES ? overflow.store(key) : -1;
                long stamp = lock.writeLock();
                try {
                    t.shiftUp(insertAt, empty);
                    t.writeKey(insertAt, position, key, handle);
                    t.writeLocation(insertAt, seq, segmentId, offset, length, version, flags);
                } finally {
                    lock.unlockWrite(stamp);
                }
                size = size + 1;
                return -1;
            }
        } finally {
            mutators.unlock();
        }
    }

    private static long capacityFor(long keys) {
        return Math.max(CAPACITY_MIN, (long) Math.ceil(keys / (LOAD_MAX / GROWTH)));
    }

    private void grow() {
        long next = (long) Math.ceil(table.capacity * GROWTH);
        rebuild(next, null);
    }

    /** A filter over the slot being copied by {@link #rebuild}; null keeps every entry. */
    private interface Keep {
        boolean test(SlotView slot);
    }

    private static final class SlotView {
        long seq;
        byte flags;
    }

    /**
     * Copies the kept entries into a new table of at least the given capacity, while readers go on
     * using the old one, then swaps. Entries are visited in position order, so each lands at
     * max(its new home, the slot after the previous one) and the new table is sorted too.
     */
    private void rebuild(long capacity, Keep keep) {
        if (capacity > CAPACITY_LIMIT) {
            throw new IllegalStateException("keydir would need " + capacity + " slots, more than its limit of " + CAPACITY_LIMIT);
        }
        KeydirTable old = table;
        SlotView view = new SlotView();
        KeydirTable fresh = null;
        long kept = 0;
        while (fresh == null) {
            KeydirTable candidate = new KeydirTable(capacity);
            long next = 0;
            kept = 0;
            boolean fits = true;
            for (long i = 0; i < old.slots && fits; i++) {
                view.seq = old.seq(i);
                if (view.seq == 0) {
                    continue;
                }
                view.flags = old.flags(i);
                if (keep != null && !keep.test(view)) {
                    continue;
                }
                long at = Math.max(candidate.home(old.position(i)), next);
                if (at >= candidate.slots) {
                    fits = false;
                    break;
                }
                candidate.copySlot(at, old, i);
                next = at + 1;
                kept++;
            }
            if (fits) {
                fresh = candidate;
            } else {
                candidate.close();
                capacity = (long) Math.ceil(capacity * 1.25);
            }
        }
        // Entries dropped by the filter may own arena blocks; free them once unreachable.
        long stamp = lock.writeLock();
        try {
            table = fresh;
            size = kept;
        } finally {
            lock.unlockWrite(stamp);
        }
        for (long i = 0; i < old.slots; i++) {
            if (keep == null || old.seq(i) == 0 || old.keyLength(i) <= KEY_INLINE_BYTES) {
                continue;
            }
            view.seq = old.seq(i);
            view.flags = old.flags(i);
            if (!keep.test(view)) {
                overflow.free(old.handle(i), old.keyLength(i));
            }
        }
        old.close();
    }
}
