package io.ringkv.storage.log;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One data file {@code <10-digit id>.data} of records (see {@link RecordFormat}), open for
 * positional reads by any thread, and appended to by the writer while it is the active segment.
 *
 * <p>Lifetime: the {@link SegmentSet} holds one reference while the segment is live; each reader
 * holds one for the duration of a read ({@link #tryRetain}/{@link #release}). When a merge or a
 * wipe retires the segment, the set drops its reference, and the last release hands the segment
 * to the deleter, which closes and deletes its files: a reader never finds its file gone.
 */
final class Segment {
    static final String DATA_SUFFIX = ".data";
    static final String HINT_SUFFIX = ".hint";
    static final String TMP_SUFFIX = ".tmp";

    final int id;
    final LogFile file;
    /** Bytes in the file (appended, maybe unsynced). */
    private final AtomicLong bytes;
    /** Bytes of records that a newer record, a tombstone or a wipe has made useless. */
    private final AtomicLong deadBytes = new AtomicLong();
    /** Which of its PUT records are known dead, for the merger. */
    final DeadRecords deadRecords = new DeadRecords();
    /** Smallest and largest seq of any valid record in the file; MAX/0 while empty. */
    private volatile long minSeq = Long.MAX_VALUE;
    private volatile long maxSeq;
    /** Set once no more records will be appended (rolled over, recovered, or a merge output). */
    private volatile boolean immutable;
    private volatile boolean hinted;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile Consumer<Segment> onUnreferenced;
    private volatile Maintenance.Task afterFilesDeleted;

    Segment(int id, LogFile file, long bytes) {
        this.id = id;
        this.file = file;
        this.bytes = new AtomicLong(bytes);
    }

    static String dataName(int id) {
        return String.format("%010d%s", id, DATA_SUFFIX);
    }

    static String hintName(int id) {
        return String.format("%010d%s", id, HINT_SUFFIX);
    }

    /** The id in a name of the form {@code <10 digits><suffix>}, or -1 if the name is not one. */
    static int parseId(String name, String suffix) {
        if (!name.endsWith(suffix) || name.length() != 10 + suffix.length()) {
            return -1;
        }
        long id = 0;
        for (int i = 0; i < 10; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            id = id * 10 + (c - '0');
        }
        return id > 0 && id <= Integer.MAX_VALUE ? (int) id : -1;
    }

    long bytes() {
        return bytes.get();
    }

    void addBytes(long n) {
        bytes.addAndGet(n);
    }

    long deadBytes() {
        return deadBytes.get();
    }

    void addDead(long n) {
        deadBytes.addAndGet(n);
    }

    void setDead(long n) {
        deadBytes.set(n);
    }

    long liveBytes() {
        return Math.max(0, bytes() - deadBytes());
    }

    long minSeq() {
        return minSeq;
    }

    long maxSeq() {
        return maxSeq;
    }

    /** Widens the seq range; called by the one thread that writes or loads the segment. */
    void noteSeq(long seq) {
        if (seq < minSeq) {
            minSeq = seq;
        }
        if (seq > maxSeq) {
            maxSeq = seq;
        }
    }

    boolean immutable() {
        return immutable;
    }

    void markImmutable() {
        immutable = true;
    }

    boolean hinted() {
        return hinted;
    }

    void markHinted() {
        hinted = true;
    }

    boolean tryRetain() {
        while (true) {
            int r = refs.get();
            if (r <= 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            Consumer<Segment> then = onUnreferenced;
            if (then != null) {
                then.accept(this);
            }
        }
    }

    /** Drops the live reference; once readers are done, deleter receives the segment. */
    void retire(Consumer<Segment> deleter) {
        deadRecords.release(); // no merge will take it any more
        onUnreferenced = deleter;
        release();
    }

    /** Runs after the deleter removed this segment's files (a merge manifest's cleanup). */
    void afterFilesDeleted(Maintenance.Task task) {
        afterFilesDeleted = task;
    }

    Maintenance.Task afterFilesDeleted() {
        return afterFilesDeleted;
    }

    void closeQuietly() {
        deadRecords.release();
        try {
            file.close();
        } catch (IOException ignored) {
            // the file is being deleted; nothing to save
        }
    }

    @Override
    public String toString() {
        return "segment " + id;
    }
}
