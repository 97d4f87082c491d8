package io.ringkv.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@code <id>.hint}: where every record of an immutable segment lies, without the values, so that
 * a restart reads a few bytes per key instead of every value. It lists every valid record of its
 * segment in file order (dead ones too), so loading it gives exactly what scanning would.
 *
 * <pre>
 * header (18 bytes)
 *  0  4  magic 0x524B5648 ("RKVH")
 *  4  2  format version = 1
 *  6  4  segment id
 * 10  4  unused (0)
 * 14  4  CRC32C of bytes [0, 14)
 * entry, one per record (35 + keyLength bytes)
 *  0  4  CRC32C of the entry's bytes [4, 35 + keyLength)
 *  4  1  kind: the record's kind (1 PUT, 2 TOMBSTONE, 3 WIPE)
 *  5  8  seq
 * 13  8  ring position of the key (so a restart computes no MD5)
 * 21  4  version
 * 25  4  offset of the record in the data file (unsigned)
 * 29  4  length of the record in bytes
 * 33  2  keyLength (unsigned)
 * 35  k  key
 * trailer (21 bytes), last in the file
 *  0  4  CRC32C of bytes [4, 21)
 *  4  1  kind = 0x7F (END)
 *  5  8  number of entries
 * 13  8  size of the data file the hint describes
 * </pre>
 *
 * ONLY APPEND TO THIS FORMAT (a new version number for a new layout; readers refuse unknown ones
 * and fall back to scanning the data file).
 *
 * <p>Written to {@code <id>.hint.tmp}, fsynced, renamed, and the directory fsynced: a hint that
 * exists under its real name is complete. A hint that fails any check (magic, CRC, trailer, data
 * size) is ignored and its segment scanned; entries applied before the bad spot were verified and
 * describe the same records the scan finds again, so the partial load does no harm.
 */
final class HintFile {
    static final int MAGIC = 0x524B5648;
    static final short FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 18;
    static final int ENTRY_FIXED_BYTES = 35;
    static final int TRAILER_BYTES = 21;
    static final byte KIND_END = 0x7F;

    private HintFile() {}

    /** Streams entries into {@code <id>.hint.tmp}; {@link #finish} makes it durable under its name. */
    static final class Writer implements AutoCloseable {
        private final LogFileSystem fs;
        private final int segmentId;
        private final LogFile file;
        private final ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        private long entries;
        private boolean done;

        Writer(LogFileSystem fs, int segmentId) throws IOException {
            this.fs = fs;
            this.segmentId = segmentId;
            String tmp = tmpName(segmentId);
            fs.delete(tmp);
            this.file = fs.create(tmp);
            buf.putInt(MAGIC).putShort(FORMAT_VERSION).putInt(segmentId).putInt(0);
            buf.putInt(RecordFormat.crcOf(buf, 0, 14));
        }

        static String tmpName(int segmentId) {
            return Segment.hintName(segmentId) + Segment.TMP_SUFFIX;
        }

        void add(byte kind, long seq, long position, int version, long offset, int length, byte[] key) throws IOException {
            int entryBytes = ENTRY_FIXED_BYTES + key.length;
            if (buf.remaining() < entryBytes) {
                flush();
            }
            int start = buf.position();
            buf.putInt(0).put(kind).putLong(seq).putLong(position).putInt(version).putInt((int) offset).putInt(length)
                    .putShort((short) key.length).put(key);
            buf.putInt(start, RecordFormat.crcOf(buf, start + 4, buf.position()));
            entries++;
        }

        /** Writes the trailer and fsyncs the temporary file; the caller renames it with {@link #publish}. */
        void finish(long dataBytes) throws IOException {
            if (buf.remaining() < TRAILER_BYTES) {
                flush();
            }
            int start = buf.position();
            buf.putInt(0).put(KIND_END).putLong(entries).putLong(dataBytes);
            buf.putInt(start, RecordFormat.crcOf(buf, start + 4, buf.position()));
            flush();
            file.force();
            file.close();
            done = true;
        }

        /** Renames the finished file into place; the caller fsyncs the directory. */
        void publish() throws IOException {
            fs.rename(tmpName(segmentId), Segment.hintName(segmentId));
        }

        private void flush() throws IOException {
            buf.flip();
            file.append(buf);
            buf.clear();
        }

        /** Abandons an unfinished file. */
        @Override
        public void close() {
            if (!done) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // deleting it anyway
                }
                try {
                    fs.delete(tmpName(segmentId));
                } catch (IOException ignored) {
                    // a leftover .tmp is deleted at the next start
                }
            }
        }
    }

    /** The entry count a hint's trailer claims, or -1 if the trailer is not valid for dataBytes. */
    static long entriesClaimed(LogFile hint, long dataBytes) throws IOException {
        long hintBytes = hint.size();
        if (hintBytes < HEADER_BYTES + TRAILER_BYTES) {
            return -1;
        }
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
        hint.readFully(trailer, hintBytes - TRAILER_BYTES);
        boolean valid = trailer.get(4) == KIND_END && trailer.getInt(0) == RecordFormat.crcOf(trailer, 4, TRAILER_BYTES)
                && trailer.getLong(13) == dataBytes;
        return valid ? trailer.getLong(5) : -1;
    }

    /** Receives each verified entry of a hint being loaded. */
    interface Sink {
        void entry(byte kind, long seq, long position, int version, long offset, int length, byte[] key);
    }

    /**
     * Loads a hint file, handing every verified entry to sink. Returns null if the whole file was
     * valid, else why it is not (the caller then scans the data file).
     */
    static String load(LogFile hint, int segmentId, long dataBytes, Sink sink) throws IOException {
        long hintBytes = hint.size();
        if (hintBytes < HEADER_BYTES + TRAILER_BYTES) {
            return "too short (" + hintBytes + " bytes)";
        }
        // The trailer first: it ties the hint to this very data file before any entry is used.
        ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
        hint.readFully(trailer, hintBytes - TRAILER_BYTES);
        if (trailer.get(4) != KIND_END || trailer.getInt(0) != RecordFormat.crcOf(trailer, 4, TRAILER_BYTES)) {
            return "trailer is damaged";
        }
        long expectedEntries = trailer.getLong(5);
        if (trailer.getLong(13) != dataBytes) {
            return "describes " + trailer.getLong(13) + " data bytes, the data file has " + dataBytes;
        }
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        long bufStart = 0;
        buf.limit(0);
        long end = hintBytes - TRAILER_BYTES;
        long at = 0;
        // header
        buf = fill(hint, buf, at, (int) Math.min(buf.capacity(), end));
        bufStart = at;
        if (buf.getInt(0) != MAGIC || buf.getShort(4) != FORMAT_VERSION || buf.getInt(6) != segmentId
                || buf.getInt(14) != RecordFormat.crcOf(buf, 0, 14)) {
            return "header is damaged or belongs to another segment";
        }
        at = HEADER_BYTES;
        long entries = 0;
        while (at < end) {
            if (end - at < ENTRY_FIXED_BYTES) {
                return "entry at " + at + " is cut short";
            }
            if (at + ENTRY_FIXED_BYTES > bufStart + buf.limit()) {
                buf = fill(hint, buf, at, (int) Math.min(buf.capacity(), end - at));
                bufStart = at;
            }
            int i = (int) (at - bufStart);
            int keyLength = Short.toUnsignedInt(buf.getShort(i + 33));
            if (keyLength == 0 && buf.get(i + 4) != RecordFormat.KIND_WIPE || keyLength > RecordFormat.KEY_BYTES_LIMIT) {
                return "entry at " + at + " has a bad key length";
            }
            int entryBytes = ENTRY_FIXED_BYTES + keyLength;
            if (at + entryBytes > end) {
                return "entry at " + at + " runs past the trailer";
            }
            if (at + entryBytes > bufStart + buf.limit()) {
                buf = fill(hint, buf, at, (int) Math.min(buf.capacity(), end - at));
                bufStart = at;
                i = 0;
            }
            if (buf.getInt(i) != RecordFormat.crcOf(buf, i + 4, i + entryBytes)) {
                return "entry at " + at + " fails its CRC";
            }
            byte kind = buf.get(i + 4);
            long offset = Integer.toUnsignedLong(buf.getInt(i + 25));
            int length = buf.getInt(i + 29);
            if (kind != RecordFormat.KIND_PUT && kind != RecordFormat.KIND_TOMBSTONE && kind != RecordFormat.KIND_WIPE
                    || length < RecordFormat.HEADER_BYTES || offset + length > dataBytes) {
                return "entry at " + at + " points outside the data file";
            }
            byte[] key = new byte[keyLength];
            buf.get(i + ENTRY_FIXED_BYTES, key);
            sink.entry(kind, buf.getLong(i + 5), buf.getLong(i + 13), buf.getInt(i + 21), offset, length, key);
            entries++;
            at += entryBytes;
        }
        return entries == expectedEntries ? null : "holds " + entries + " entries, its trailer says " + expectedEntries;
    }

    private static ByteBuffer fill(LogFile file, ByteBuffer buf, long at, int n) throws IOException {
        buf.clear().limit(n);
        file.readFully(buf, at);
        buf.flip();
        return buf;
    }
}
