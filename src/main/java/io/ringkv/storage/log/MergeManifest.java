package io.ringkv.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code <id>.merge}: the commit point of a merge. It names the input segments the merge replaced;
 * once it exists under its real name those inputs are obsolete, even if a crash left some of
 * their files behind, and start-up deletes them before reading anything. This is what lets a merge
 * drop a tombstone together with the older records it shadows although the inputs are deleted
 * one file at a time. The manifest itself is deleted once all its inputs are gone.
 *
 * <pre>
 *  0   4  magic 0x524B564D ("RKVM")
 *  4   2  format version = 1
 *  6   4  n, number of input segments (1..{@link #INPUTS_MAX})
 * 10  4n  input segment ids
 * 10+4n 4 CRC32C of bytes [0, 10 + 4n)
 * </pre>
 *
 * ONLY APPEND TO THIS FORMAT. Written to {@code .merge.tmp}, fsynced, renamed, directory fsynced.
 */
final class MergeManifest {
    static final String SUFFIX = ".merge";
    static final int MAGIC = 0x524B564D;
    static final short FORMAT_VERSION = 1;
    static final int INPUTS_MAX = 4096;

    private MergeManifest() {}

    static String name(int id) {
        return String.format("%010d%s", id, SUFFIX);
    }

    /** Writes and publishes the manifest; the caller fsyncs the directory afterwards. */
    static void write(LogFileSystem fs, int id, List<Integer> inputs) throws IOException {
        if (inputs.isEmpty() || inputs.size() > INPUTS_MAX) {
            throw new IllegalArgumentException("a merge manifest lists 1.." + INPUTS_MAX + " inputs, not " + inputs.size());
        }
        ByteBuffer buf = ByteBuffer.allocate(14 + 4 * inputs.size());
        buf.putInt(MAGIC).putShort(FORMAT_VERSION).putInt(inputs.size());
        for (int input : inputs) {
            buf.putInt(input);
        }
        buf.putInt(RecordFormat.crcOf(buf, 0, buf.position()));
        buf.flip();
        String tmp = name(id) + Segment.TMP_SUFFIX;
        fs.delete(tmp);
        try (LogFile file = fs.create(tmp)) {
            file.append(buf);
            file.force();
        }
        fs.rename(tmp, name(id));
    }

    /** The input ids, or null if the file is damaged (the caller says so and keeps the inputs). */
    static List<Integer> read(LogFile file) throws IOException {
        long size = file.size();
        if (size < 18 || size > 14 + 4L * INPUTS_MAX) {
            return null;
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        file.readFully(buf, 0);
        int n = buf.getInt(6);
        if (buf.getInt(0) != MAGIC || buf.getShort(4) != FORMAT_VERSION || n < 1 || n > INPUTS_MAX || size != 14 + 4L * n
                || buf.getInt(10 + 4 * n) != RecordFormat.crcOf(buf, 0, 10 + 4 * n)) {
            return null;
        }
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(buf.getInt(10 + 4 * i));
        }
        return ids;
    }
}
