package io.ringkv.storage.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The byte layout of one record in a segment ({@code <10-digit id>.data}). Segments are nothing but
 * records back to back, with no file header, so that appending is the only write.
 *
 * <pre>
 * offset  bytes  field
 *      0      4  crc       CRC32C of bytes [4, 23 + keyLength + valueLength), big-endian
 *      4      1  kind      1 = PUT (value), 2 = TOMBSTONE (remove), 3 = WIPE (every record with a
 *                          smaller seq is dead); any other value is invalid
 *      5      8  seq       sequence number, unique and increasing over the engine's life; the
 *                          record of a key with the highest seq wins, whatever file it sits in
 *     13      4  version   the client's int32 version (0 for TOMBSTONE and WIPE)
 *     17      2  keyLength unsigned; 1..keyBytesMax for PUT and TOMBSTONE, 0 for WIPE
 *     19      4  valueLength unsigned; 0..valueBytesMax for PUT, 0 otherwise
 *     23      k  key
 *   23+k      v  value
 * </pre>
 *
 * ONLY APPEND TO THIS FORMAT: the kind codes and offsets are on disk. A new field means a new kind
 * code whose records carry it; old kinds keep their layout forever.
 *
 * <p>Lengths are checked against the limits before anything is allocated for them, so a corrupt
 * length field can never make a reader allocate a huge array. All integers are big-endian.
 */
final class RecordFormat {
    static final int CRC_BYTES = 4;
    static final int HEADER_BYTES = 23;

    static final byte KIND_PUT = 1;
    static final byte KIND_TOMBSTONE = 2;
    static final byte KIND_WIPE = 3;

    /** The largest key the format accepts whatever the configuration says (u16 field, kept small). */
    static final int KEY_BYTES_LIMIT = 4096;
    /** The largest value the format accepts; a record must fit in a segment addressed by u32 offsets. */
    static final int VALUE_BYTES_LIMIT = 256 << 20;

    private static final int KIND_AT = 4;
    private static final int SEQ_AT = 5;
    private static final int VERSION_AT = 13;
    private static final int KEY_LENGTH_AT = 17;
    private static final int VALUE_LENGTH_AT = 19;

    private RecordFormat() {}

    static int recordBytes(int keyBytes, int valueBytes) {
        return HEADER_BYTES + keyBytes + valueBytes;
    }

    /** Appends one record at dst's position (which advances past it). dst must have room. */
    static void encode(ByteBuffer dst, byte kind, long seq, int version, byte[] key, byte[] value) {
        int start = dst.position();
        int valueBytes = value == null ? 0 : value.length;
        dst.putInt(0);
        dst.put(kind);
        dst.putLong(seq);
        dst.putInt(version);
        dst.putShort((short) key.length);
        dst.putInt(valueBytes);
        dst.put(key);
        if (valueBytes > 0) {
            dst.put(value);
        }
        int end = dst.position();
        dst.putInt(start, crcOf(dst, start + CRC_BYTES, end));
    }

    /** CRC32C over buf[from, to), leaving buf's position and limit as they were. */
    static int crcOf(ByteBuffer buf, int from, int to) {
        CRC32C crc = CRC.get();
        crc.reset();
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + from, to - from);
        } else {
            crc.update(buf.duplicate().limit(to).position(from));
        }
        return (int) crc.getValue();
    }

    /** One checksum object per thread: recovery computes one per record, and allocation shows. */
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    /** A record's fixed fields, parsed without allocation; reused by scanners. */
    static final class Header {
        int crc;
        byte kind;
        long seq;
        int version;
        int keyLength;
        int valueLength;

        int recordBytes() {
            return HEADER_BYTES + keyLength + valueLength;
        }
    }

    /** Why a header was refused; {@link #OK} when it is plausible. */
    enum Check {
        OK,
        BAD_KIND,
        BAD_SEQ,
        KEY_TOO_LONG,
        VALUE_TOO_LONG,
        BAD_SHAPE
    }

    /**
     * Parses the 23 header bytes at buf[at] into out and checks every field against the limits.
     * Only a header that passes may have its body read; the CRC is checked afterwards by the caller.
     */
    static Check parseHeader(ByteBuffer buf, int at, int keyBytesMax, int valueBytesMax, Header out) {
        out.crc = buf.getInt(at);
        out.kind = buf.get(at + KIND_AT);
        out.seq = buf.getLong(at + SEQ_AT);
        out.version = buf.getInt(at + VERSION_AT);
        out.keyLength = Short.toUnsignedInt(buf.getShort(at + KEY_LENGTH_AT));
        long valueLength = Integer.toUnsignedLong(buf.getInt(at + VALUE_LENGTH_AT));
        out.valueLength = (int) Math.min(valueLength, Integer.MAX_VALUE);
        if (out.kind != KIND_PUT && out.kind != KIND_TOMBSTONE && out.kind != KIND_WIPE) {
            return Check.BAD_KIND;
        }
        if (out.seq <= 0) {
            return Check.BAD_SEQ;
        }
        if (out.keyLength > Math.min(keyBytesMax, KEY_BYTES_LIMIT)) {
            return Check.KEY_TOO_LONG;
        }
        if (valueLength > Math.min(valueBytesMax, VALUE_BYTES_LIMIT)) {
            return Check.VALUE_TOO_LONG;
        }
        boolean shaped = switch (out.kind) {
            case KIND_PUT -> out.keyLength > 0;
            case KIND_TOMBSTONE -> out.keyLength > 0 && out.valueLength == 0 && out.version == 0;
            default -> out.keyLength == 0 && out.valueLength == 0 && out.version == 0;
        };
        return shaped ? Check.OK : Check.BAD_SHAPE;
    }

    /** Whether the whole record at buf[at, at + header.recordBytes()) matches its CRC. */
    static boolean crcMatches(ByteBuffer buf, int at, Header header) {
        return crcOf(buf, at + CRC_BYTES, at + header.recordBytes()) == header.crc;
    }

    static String kindName(byte kind) {
        return switch (kind) {
            case KIND_PUT -> "PUT";
            case KIND_TOMBSTONE -> "TOMBSTONE";
            case KIND_WIPE -> "WIPE";
            default -> "kind " + kind;
        };
    }
}
