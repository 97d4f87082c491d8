package io.ringkv.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Reads one record named by the keydir with a positional read and checks it all (header limits,
 * length, kind, seq, CRC, key) before any byte of it is returned: never corrupt data.
 */
final class RecordReader {
    private RecordReader() {}

    /** A record failed its checks; the message says which. */
    static final class CorruptRecordException extends IOException {
        private static final long serialVersionUID = 1L;

        CorruptRecordException(String message) {
            super(message);
        }
    }

    /** The value and version of the PUT record at offset; throws if anything does not match. */
    static LogEngine.LiveRecord read(Segment segment, int offset, int length, long seq, byte[] key, int recordBytesMax)
            throws IOException {
        if (length < RecordFormat.HEADER_BYTES || length > recordBytesMax) {
            throw new CorruptRecordException("record of " + length + " bytes at segment " + segment.id + " offset "
                    + Integer.toUnsignedString(offset) + " is outside the configured limits (" + recordBytesMax + " bytes)");
        }
        ByteBuffer buf = ByteBuffer.allocate(length);
        segment.file.readFully(buf, Integer.toUnsignedLong(offset));
        RecordFormat.Header h = new RecordFormat.Header();
        RecordFormat.Check check = RecordFormat.parseHeader(buf, 0, RecordFormat.KEY_BYTES_LIMIT, RecordFormat.VALUE_BYTES_LIMIT, h);
        String problem = null;
        if (check != RecordFormat.Check.OK) {
            problem = "header check " + check;
        } else if (h.recordBytes() != length || h.kind != RecordFormat.KIND_PUT || h.seq != seq) {
            problem = "header does not match the keydir";
        } else if (!RecordFormat.crcMatches(buf, 0, h)) {
            problem = "CRC mismatch";
        } else if (!Arrays.equals(buf.array(), RecordFormat.HEADER_BYTES, RecordFormat.HEADER_BYTES + h.keyLength, key, 0, key.length)) {
            problem = "key mismatch";
        }
        if (problem != null) {
            throw new CorruptRecordException("record at segment " + segment.id + " offset "
                    + Integer.toUnsignedString(offset) + " is corrupt: " + problem);
        }
        int valueAt = RecordFormat.HEADER_BYTES + h.keyLength;
        return new LogEngine.LiveRecord(key, Arrays.copyOfRange(buf.array(), valueAt, length), h.version);
    }
}
