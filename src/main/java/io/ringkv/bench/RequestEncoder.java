package io.ringkv.bench;

import java.util.zip.CRC32;

/**
 * Writes request envelopes straight into a byte array, without building protobuf objects: the load
 * generator sends hundreds of thousands per second. The bytes are exactly what
 * {@code Envelope.sealRequest} produces for the same request (a test holds it to that).
 *
 * <p>Layout (protobuf wire format, fields in number order as protobuf-java writes them):
 * <pre>
 * Msg:       0x0A 0x10 messageID[16]       field 1, length-delimited, 16 bytes
 *            0x12 varint(n) KVRequest[n]   field 2, length-delimited
 *            0x19 checkSum[8]              field 3, fixed64 little-endian: CRC32(messageID ‖ KVRequest)
 * KVRequest: 0x08 command                  field 1, varint (one byte: commands are below 0x80)
 *            0x12 varint(k) key[k]         field 2, the ASCII key "k" + decimal index
 *            0x1A varint(v) value[v]       field 3, PUT only
 * </pre>
 *
 * <p>messageID = salt[8] ‖ slot[4] ‖ seq[4] (big-endian): unique per request because each slot's
 * sequence only grows, and unlike random IDs it tells the receiver which slot a reply belongs to
 * without a map lookup. The salt is random per run so that a rerun does not hit the node's
 * at-most-once cache. Not thread-safe: one encoder per socket.
 */
final class RequestEncoder {
    static final int ID_BYTES = 16;
    static final int COMMAND_PUT = 0x01;
    static final int COMMAND_GET = 0x02;
    /** Envelope and request fields around the value: tags, lengths, ID, key, checksum. */
    private static final int OVERHEAD_BYTES_MAX = 96;

    private final long salt;
    private final byte[] value;
    private final byte[] scratch;
    private final CRC32 crc = new CRC32();

    RequestEncoder(long salt, byte[] value) {
        this.salt = salt;
        this.value = value;
        this.scratch = new byte[value.length + OVERHEAD_BYTES_MAX];
    }

    long salt() {
        return salt;
    }

    /** The largest envelope this encoder writes (a PUT). */
    int envelopeBytesMax() {
        return scratch.length;
    }

    /** The encoded request; valid until the next call. */
    byte[] buffer() {
        return scratch;
    }

    /**
     * Encodes one request into {@link #buffer()} and returns its length.
     *
     * @param command {@link #COMMAND_PUT} (with this encoder's value) or {@link #COMMAND_GET}
     */
    int encode(int command, int slot, int seq, long keyIndex) {
        int keyBytes = 1 + decimalDigits(keyIndex);
        int payloadBytes = 2 + 1 + varintBytes(keyBytes) + keyBytes;
        if (command == COMMAND_PUT) {
            payloadBytes += 1 + varintBytes(value.length) + value.length;
        }
        byte[] b = scratch;
        int p = 0;
        b[p++] = 0x0A;
        b[p++] = ID_BYTES;
        int idAt = p;
        p = putLong(b, p, salt);
        p = putInt(b, p, slot);
        p = putInt(b, p, seq);
        b[p++] = 0x12;
        p = putVarint(b, p, payloadBytes);
        int payloadAt = p;
        b[p++] = 0x08;
        b[p++] = (byte) command;
        b[p++] = 0x12;
        p = putVarint(b, p, keyBytes);
        b[p++] = 'k';
        p = putDecimal(b, p, keyIndex, keyBytes - 1);
        if (command == COMMAND_PUT) {
            b[p++] = 0x1A;
            p = putVarint(b, p, value.length);
            System.arraycopy(value, 0, b, p, value.length);
            p += value.length;
        }
        crc.reset();
        crc.update(b, idAt, ID_BYTES);
        crc.update(b, payloadAt, payloadBytes);
        long checksum = crc.getValue();
        b[p++] = 0x19;
        for (int i = 0; i < 8; i++) {
            b[p++] = (byte) (checksum >>> (8 * i));
        }
        return p;
    }

    static int varintBytes(int value) {
        int n = 1;
        while ((value & ~0x7f) != 0) {
            value >>>= 7;
            n++;
        }
        return n;
    }

    private static int putVarint(byte[] b, int p, int value) {
        while ((value & ~0x7f) != 0) {
            b[p++] = (byte) ((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        b[p++] = (byte) value;
        return p;
    }

    static int decimalDigits(long n) {
        int digits = 1;
        while (n >= 10) {
            n /= 10;
            digits++;
        }
        return digits;
    }

    private static int putDecimal(byte[] b, int p, long n, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            b[p + i] = (byte) ('0' + (int) (n % 10));
            n /= 10;
        }
        return p + digits;
    }

    private static int putLong(byte[] b, int p, long v) {
        for (int i = 0; i < 8; i++) {
            b[p++] = (byte) (v >>> (56 - 8 * i));
        }
        return p;
    }

    private static int putInt(byte[] b, int p, int v) {
        for (int i = 0; i < 4; i++) {
            b[p++] = (byte) (v >>> (24 - 8 * i));
        }
        return p;
    }
}
