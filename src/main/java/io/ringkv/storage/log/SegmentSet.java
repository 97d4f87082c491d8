package io.ringkv.storage.log;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The segments on disk: the live ones by id (what the keydir points into) and the retired ones
 * whose files still exist until their last reader is done. Thread-safe.
 */
final class SegmentSet {
    private final ConcurrentHashMap<Integer, Segment> live = new ConcurrentHashMap<>();
    private final Set<Segment> retired = ConcurrentHashMap.newKeySet();
    /** Bytes of every segment file on disk, live and retired. */
    private final AtomicLong totalBytes = new AtomicLong();
    private final AtomicInteger nextId;

    SegmentSet(int nextId) {
        this.nextId = new AtomicInteger(nextId);
    }

    int allocateId() {
        int id = nextId.getAndIncrement();
        if (id <= 0) {
            throw new IllegalStateException("segment ids exhausted");
        }
        return id;
    }

    void add(Segment segment) {
        live.put(segment.id, segment);
        totalBytes.addAndGet(segment.bytes());
    }

    Segment get(int id) {
        return live.get(id);
    }

    /** The live segment with a reference taken, or null if it was retired (retry the keydir). */
    Segment retain(int id) {
        Segment s = live.get(id);
        return s != null && s.tryRetain() ? s : null;
    }

    void grew(Segment segment, long bytes) {
        segment.addBytes(bytes);
        totalBytes.addAndGet(bytes);
    }

    /** The PUT record at offset of segment id is dead for good (see {@link DeadRecords}). */
    void displaced(int id, int offset, int length) {
        Segment s = live.get(id);
        if (s != null) {
            s.addDead(length);
            s.deadRecords.mark(offset);
        }
    }

    /** Takes the segment out of service; its files go once unreferenced (see {@link Segment#retire}). */
    void retire(Segment segment, java.util.function.Consumer<Segment> deleter) {
        if (live.remove(segment.id, segment)) {
            retired.add(segment);
            segment.retire(deleter);
        }
    }

    /** The deleter removed the files of a retired segment. */
    void deleted(Segment segment) {
        if (retired.remove(segment)) {
            totalBytes.addAndGet(-segment.bytes());
        }
    }

    long totalBytes() {
        return totalBytes.get();
    }

    /** Live segments by id. */
    List<Segment> live() {
        List<Segment> list = new ArrayList<>(live.values());
        list.sort(Comparator.comparingInt(s -> s.id));
        return list;
    }

    int liveCount() {
        return live.size();
    }

    /** Every segment whose file is on disk, live or retired. */
    List<Segment> onDisk() {
        List<Segment> list = new ArrayList<>(live.values());
        list.addAll(retired);
        return list;
    }
}
