package io.ringkv.wire;

import com.google.protobuf.ByteString;
import java.util.zip.CRC32;

/** The envelope checksum: CRC32 over the messageID bytes followed by the payload bytes. */
public final class Checksum {
    private static final int SCRATCH_BYTES = 16 * 1024;

    /**
     * A per-thread array the bytes of a {@link ByteString} are copied into for the CRC: CRC32 reads
     * arrays and direct buffers in place, but copies a read-only heap buffer (all a ByteString
     * offers) into a new array of up to 4 KB on every call.
     */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[SCRATCH_BYTES]);

    private Checksum() {}

    public static long of(ByteString messageId, ByteString payload) {
        CRC32 crc = new CRC32();
        byte[] scratch = SCRATCH.get();
        update(crc, messageId, scratch);
        update(crc, payload, scratch);
        return crc.getValue();
    }

    /** The checksum of a messageID and a payload that lie in {@code bytes} (a sealed envelope). */
    static long of(byte[] bytes, int idOffset, int idLength, int payloadOffset, int payloadLength) {
        CRC32 crc = new CRC32();
        crc.update(bytes, idOffset, idLength);
        crc.update(bytes, payloadOffset, payloadLength);
        return crc.getValue();
    }

    private static void update(CRC32 crc, ByteString bytes, byte[] scratch) {
        int size = bytes.size();
        if (size <= scratch.length) {
            bytes.copyTo(scratch, 0);
            crc.update(scratch, 0, size);
            return;
        }
        for (int from = 0; from < size; from += scratch.length) {
            int length = Math.min(scratch.length, size - from);
            bytes.substring(from, from + length).copyTo(scratch, 0);
            crc.update(scratch, 0, length);
        }
    }
}
