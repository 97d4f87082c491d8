package io.ringkv.storage.log;

import io.ringkv.common.RingPosition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up: rebuilds the keydir from the files in the directory.
 *
 * <p>Every segment is loaded from its hint file when the hint is valid, else by scanning the data
 * file and checking every CRC. The newest record of a key wins by seq, and a remove's seq is kept
 * while loading, so the order in which files are read does not matter; a WIPE record kills every
 * record with a smaller seq. A scanned segment's unusable tail (torn by a crash, zero-filled,
 * corrupt) is truncated; a corrupt region in the middle is skipped and counted.
 *
 * <p>Each data file is fsynced before anything is decided from it: after a process crash (not a
 * power loss) the page cache may show records that are not yet on disk, and deleting files because
 * of a WIPE record that a power loss could still take away would lose acknowledged data.
 */
final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    /** What start-up found. */
    record Result(SegmentSet segments, long nextSeq, List<Segment> needHints, long keys, long scanned, long hinted) {}

    private final LogFileSystem fs;
    private final LogEngine.Config config;
    private final Keydir keydir;
    private final LogStats stats;
    private long maxSeq;
    private long wipeSeq;

    Recovery(LogFileSystem fs, LogEngine.Config config, Keydir keydir, LogStats stats) {
        this.fs = fs;
        this.config = config;
        this.keydir = keydir;
        this.stats = stats;
    }

    Result run() throws IOException {
        long startNanos = System.nanoTime();
        TreeMap<Integer, String> data = new TreeMap<>();
        Map<Integer, String> hints = new HashMap<>();
        List<String> manifests = new ArrayList<>();
        int maxId = 0;
        for (String name : fs.list()) {
            if (name.endsWith(Segment.TMP_SUFFIX)) {
                fs.delete(name); // an unfinished merge output, hint or manifest: never renamed, never used
                continue;
            }
            int dataId = Segment.parseId(name, Segment.DATA_SUFFIX);
            int hintId = Segment.parseId(name, Segment.HINT_SUFFIX);
            int manifestId = Segment.parseId(name, MergeManifest.SUFFIX);
            if (dataId > 0) {
                data.put(dataId, name);
            } else if (hintId > 0) {
                hints.put(hintId, name);
            } else if (manifestId > 0) {
                manifests.add(name);
            }
            maxId = Math.max(maxId, Math.max(Math.max(dataId, hintId), manifestId));
        }
        finishCommittedMerges(manifests, data);
        for (var hint : hints.entrySet()) {
            if (!data.containsKey(hint.getKey())) {
                fs.delete(hint.getValue()); // its segment was deleted first; the hint is useless
            }
        }

        presize(data, hints);
        List<Segment> loaded = new ArrayList<>();
        List<Segment> needHints = new ArrayList<>();
        long scanned = 0;
        long hinted = 0;
        try {
            for (var entry : data.entrySet()) {
                int id = entry.getKey();
                LogFile file = fs.open(entry.getValue());
                Segment segment = new Segment(id, file, file.size());
                loaded.add(segment);
                file.force();
                boolean fromHint = hints.containsKey(id) && loadHint(segment);
                if (fromHint) {
                    segment.markHinted();
                    hinted++;
                } else {
                    scan(segment);
                    scanned++;
                    if (segment.bytes() > 0) {
                        needHints.add(segment);
                    }
                }
                segment.markImmutable();
            }
        } catch (IOException | RuntimeException e) {
            loaded.forEach(Segment::closeQuietly); // the engine does not open; leave no file open
            throw e;
        }

        keydir.finishRecovery(wipeSeq);
        Map<Integer, Long> liveBytes = new HashMap<>();
        keydir.forEach((segmentId, length, tombstone) -> liveBytes.merge(segmentId, (long) length, Long::sum));

        SegmentSet segments = new SegmentSet(maxId + 1);
        boolean deleted = false;
        for (Segment segment : loaded) {
            // A segment older than the newest wipe, or empty, holds nothing; drop its files.
            if (segment.bytes() == 0 || segment.maxSeq() < wipeSeq) {
                segment.closeQuietly();
                fs.delete(Segment.dataName(segment.id));
                fs.delete(Segment.hintName(segment.id));
                needHints.remove(segment);
                deleted = true;
                continue;
            }
            segment.setDead(segment.bytes() - liveBytes.getOrDefault(segment.id, 0L));
            segments.add(segment);
        }
        if (deleted || scanned > 0) {
            fs.syncDirectory();
        }
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        log.info("log engine recovered {} keys from {} segments in {} ({} from hints, {} scanned) in {} ms;"
                        + " {} corrupt records ({} bytes) skipped, {} torn tail bytes truncated, {} bad hints",
                keydir.size(), segments.liveCount(), fs.describe(), hinted, scanned, millis,
                stats.corruptRecords.sum(), stats.corruptBytes.sum(), stats.tornTailBytes.sum(), stats.badHints.sum());
        return new Result(segments, maxSeq + 1, needHints, keydir.size(), scanned, hinted);
    }

    /**
     * A merge whose manifest exists committed: its inputs are obsolete. Delete what a crash left
     * of them before reading anything, then the manifests themselves.
     */
    private void finishCommittedMerges(List<String> manifests, Map<Integer, String> data) throws IOException {
        if (manifests.isEmpty()) {
            return;
        }
        int deleted = 0;
        List<String> done = new ArrayList<>();
        for (String name : manifests) {
            List<Integer> inputs;
            try (LogFile file = fs.open(name)) {
                inputs = MergeManifest.read(file);
            }
            if (inputs == null) {
                stats.corruptRecords.increment();
                log.error("merge manifest {} in {} is damaged; keeping the segments it may name", name, fs.describe());
                continue;
            }
            for (int id : inputs) {
                if (data.remove(id) != null) {
                    fs.delete(Segment.dataName(id));
                    deleted++;
                }
                fs.delete(Segment.hintName(id));
            }
            done.add(name);
        }
        fs.syncDirectory();
        for (String name : done) {
            fs.delete(name);
        }
        fs.syncDirectory();
        if (deleted > 0) {
            log.info("finished {} committed merges in {}: deleted {} obsolete segments", done.size(), fs.describe(), deleted);
        }
    }

    /** Sizes the keydir once for every record the valid hints announce (dead ones included). */
    private void presize(Map<Integer, String> data, Map<Integer, String> hints) throws IOException {
        long announced = 0;
        for (int id : data.keySet()) {
            if (!hints.containsKey(id)) {
                continue;
            }
            try (LogFile dataFile = fs.open(Segment.dataName(id)); LogFile hint = fs.open(Segment.hintName(id))) {
                announced += Math.max(0, HintFile.entriesClaimed(hint, dataFile.size()));
            }
        }
        if (announced > 0) {
            keydir.reserve(announced);
        }
    }

    private boolean loadHint(Segment segment) throws IOException {
        String problem;
        try (LogFile hint = fs.open(Segment.hintName(segment.id))) {
            problem = HintFile.load(hint, segment.id, segment.bytes(),
                    (kind, seq, position, version, offset, length, key) ->
                            apply(segment, kind, seq, position, version, offset, length, key));
        }
        if (problem == null) {
            return true;
        }
        stats.badHints.increment();
        log.warn("hint file of segment {} in {} is unusable ({}); scanning its data file instead",
                segment.id, fs.describe(), problem);
        return false;
    }

    private void scan(Segment segment) throws IOException {
        RecordScanner scanner = new RecordScanner(segment.file, segment.bytes(), scanBufferBytes(config),
                config.keyBytesMax(), config.valueBytesMax());
        while (scanner.next()) {
            RecordFormat.Header h = scanner.header;
            byte[] key = scanner.key();
            long position = h.kind == RecordFormat.KIND_WIPE ? 0 : RingPosition.of(key);
            apply(segment, h.kind, h.seq, position, h.version, scanner.offset, h.recordBytes(), key);
        }
        if (scanner.corruptRegions > 0) {
            stats.corruptRecords.add(scanner.corruptRegions);
            stats.corruptBytes.add(scanner.corruptBytes);
            log.warn("segment {} in {}: skipped {} corrupt regions ({} bytes) in the middle of the file",
                    segment.id, fs.describe(), scanner.corruptRegions, scanner.corruptBytes);
        }
        if (scanner.tailStart >= 0) {
            long cut = segment.bytes() - scanner.tailStart;
            stats.tornTailBytes.add(cut);
            log.warn("segment {} in {}: truncating {} bytes of torn or corrupt tail at offset {}",
                    segment.id, fs.describe(), cut, scanner.tailStart);
            segment.file.truncate(scanner.tailStart);
            segment.file.force();
            segment.addBytes(-cut);
        }
    }

    private void apply(Segment segment, byte kind, long seq, long position, int version, long offset, int length, byte[] key) {
        segment.noteSeq(seq);
        maxSeq = Math.max(maxSeq, seq);
        switch (kind) {
            case RecordFormat.KIND_PUT ->
                    keydir.recover(key, position, seq, segment.id, (int) offset, length, version, false);
            case RecordFormat.KIND_TOMBSTONE ->
                    keydir.recover(key, position, seq, segment.id, (int) offset, length, 0, true);
            case RecordFormat.KIND_WIPE -> wipeSeq = Math.max(wipeSeq, seq);
            default -> throw new IllegalStateException("unreachable record kind " + kind);
        }
    }

    static int scanBufferBytes(LogEngine.Config config) {
        // At least one whole record of the configured size, but never more than 4 MiB of heap:
        // larger records (from a bigger configuration) are checked by streaming.
        return (int) Math.min(4L << 20, Math.max(256 << 10, config.recordBytesMax()));
    }
}
