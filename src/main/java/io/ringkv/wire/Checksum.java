package io.ringkv.wire;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/** The envelope checksum: CRC32 over the messageID bytes followed by the payload bytes. */
public final class Checksum {
    private Checksum() {}

    public static long of(ByteString messageId, ByteString payload) {
        CRC32 crc = new CRC32();
        update(crc, messageId);
        update(crc, payload);
        return crc.getValue();
    }

    private static void update(CRC32 crc, ByteString bytes) {
        // asReadOnlyByteBufferList avoids copying the (possibly large) payload into a new array.
        for (ByteBuffer part : bytes.asReadOnlyByteBufferList()) {
            crc.update(part);
        }
    }
}
