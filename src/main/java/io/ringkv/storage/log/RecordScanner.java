package io.ringkv.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Reads the records of one segment front to back, checking every CRC, for recovery, hint writing
 * and merging.
 *
 * <p>When the bytes at the expected place are not a valid record, the scanner resynchronizes: it
 * moves forward one byte at a time until a header passes the limits and its record's CRC matches,
 * counts the skipped region as corrupt and goes on from there. A region with no valid record
 * after it is the tail ({@link #tailStart}): torn by a crash, zero-filled, or corrupt; the caller
 * decides whether to truncate it. A skipped region can be any length: a resync can only land on a
 * record whose whole CRC matches, a 1-in-4-billion accident per candidate offset.
 *
 * <p>Memory: one buffer of fixed size (at least the largest record the configuration allows).
 * A valid record that is longer (written under larger limits) is checked and copied by streaming
 * through the same buffer, so nothing is ever allocated from a length field.
 *
 * <p>Not thread-safe: one scanner per thread.
 */
final class RecordScanner {
    private final LogFile file;
    private final long fileBytes;
    private final int keyBytesMax;
    private final int valueBytesMax;
    private final ByteBuffer buf;
    /** File offset of buf[0]; buf holds [bufStart, bufStart + buf.limit()). */
    private long bufStart;
    private long next;

    final RecordFormat.Header header = new RecordFormat.Header();
    /** Offset of the current record. */
    long offset;
    long corruptRegions;
    long corruptBytes;
    /** Where the unusable tail starts, or -1 if the file ends with a valid record. */
    long tailStart = -1;

    /**
     * @param keyBytesMax, valueBytesMax the configured limits: a resync only accepts records within
     *     them; a record in sequence is accepted up to the format's absolute limits
     */
    RecordScanner(LogFile file, long fileBytes, int bufferBytes, int keyBytesMax, int valueBytesMax) {
        this.file = file;
        this.fileBytes = fileBytes;
        this.keyBytesMax = keyBytesMax;
        this.valueBytesMax = valueBytesMax;
        // Never more than the file needs: small segments (tests, fresh nodes) get small buffers.
        int minimum = RecordFormat.HEADER_BYTES + RecordFormat.KEY_BYTES_LIMIT;
        this.buf = ByteBuffer.allocate((int) Math.max(minimum, Math.min(bufferBytes, fileBytes)));
        this.buf.limit(0);
    }

    /** Advances to the next valid record; false at the end of the file. */
    boolean next() throws IOException {
        long corruptFrom = -1;
        while (next < fileBytes) {
            if (isRecordAt(next, corruptFrom < 0)) {
                if (corruptFrom >= 0) {
                    corruptRegions++;
                    corruptBytes += next - corruptFrom;
                }
                offset = next;
                next += header.recordBytes();
                return true;
            }
            if (corruptFrom < 0) {
                corruptFrom = next;
            }
            next++;
        }
        if (corruptFrom >= 0) {
            tailStart = corruptFrom;
        }
        return false;
    }

    /** The end of the last valid record seen. */
    long validEnd() {
        return tailStart >= 0 ? tailStart : next;
    }

    byte[] key() throws IOException {
        ensure(offset, RecordFormat.HEADER_BYTES + header.keyLength);
        byte[] key = new byte[header.keyLength];
        buf.get(index(offset) + RecordFormat.HEADER_BYTES, key);
        return key;
    }

    /** Appends the current record's bytes to out, streaming if it does not fit the buffer. */
    void copyTo(Appender out) throws IOException {
        int length = header.recordBytes();
        if (length <= buf.capacity()) {
            ensure(offset, length);
            int at = index(offset);
            out.append(buf.duplicate().limit(at + length).position(at));
            return;
        }
        long at = offset;
        long left = length;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            file.readFully(buf, at);
            buf.flip();
            at += buf.remaining();
            left -= buf.remaining();
            out.append(buf);
        }
        buf.limit(0);
        bufStart = 0;
    }

    interface Appender {
        void append(ByteBuffer bytes) throws IOException;
    }

    private boolean isRecordAt(long at, boolean inSequence) throws IOException {
        if (fileBytes - at < RecordFormat.HEADER_BYTES) {
            return false;
        }
        ensure(at, RecordFormat.HEADER_BYTES);
        int keyLimit = inSequence ? RecordFormat.KEY_BYTES_LIMIT : keyBytesMax;
        int valueLimit = inSequence ? RecordFormat.VALUE_BYTES_LIMIT : valueBytesMax;
        if (RecordFormat.parseHeader(buf, index(at), keyLimit, valueLimit, header) != RecordFormat.Check.OK) {
            return false;
        }
        int length = header.recordBytes();
        if (at + length > fileBytes) {
            return false;
        }
        if (length <= buf.capacity()) {
            ensure(at, length);
            return RecordFormat.crcMatches(buf, index(at), header);
        }
        return streamedCrc(at, length) == header.crc;
    }

    private int streamedCrc(long at, int length) throws IOException {
        CRC32C crc = new CRC32C();
        long pos = at + RecordFormat.CRC_BYTES;
        long left = length - RecordFormat.CRC_BYTES;
        int expected = header.crc;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            file.readFully(buf, pos);
            buf.flip();
            pos += buf.remaining();
            left -= buf.remaining();
            crc.update(buf);
        }
        buf.limit(0);
        bufStart = 0;
        header.crc = expected;
        return (int) crc.getValue();
    }

    private int index(long at) {
        return (int) (at - bufStart);
    }

    /** Makes buf hold [at, at + n) (n ≤ capacity and within the file). */
    private void ensure(long at, int n) throws IOException {
        if (at >= bufStart && at + n <= bufStart + buf.limit()) {
            return;
        }
        bufStart = at;
        buf.clear();
        int want = (int) Math.min(buf.capacity(), fileBytes - at);
        buf.limit(want);
        file.readFully(buf, at);
        buf.flip();
    }
}
