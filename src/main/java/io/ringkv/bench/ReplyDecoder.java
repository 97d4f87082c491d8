package io.ringkv.bench;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32;

/**
 * Reads the few fields the load generator needs from a reply envelope, in place: the messageID,
 * the checksum (verified), and from the KVResponse the errCode and overloadWaitTime. Any field
 * order and unknown fields are accepted, as protobuf allows. Not thread-safe: one per socket.
 *
 * <p>After {@link #decode} returns true, the accessors describe that reply.
 */
final class ReplyDecoder {
    private final CRC32 crc = new CRC32();
    private int idAt;
    private int idBytes;
    private int errCode;
    private int overloadWaitMs;

    /**
     * Decodes {@code buf} from its reader index to its writer index without moving either.
     *
     * @param parsePayload false for echoed requests, whose payload is a KVRequest: only the
     *     envelope is checked and the code is SUCCESS
     * @return false when the bytes are not a well-formed envelope with a matching checksum
     */
    boolean decode(ByteBuf buf, boolean parsePayload) {
        int p = buf.readerIndex();
        int end = buf.writerIndex();
        idAt = -1;
        idBytes = 0;
        int payloadAt = -1;
        int payloadBytes = 0;
        boolean hasChecksum = false;
        long checksum = 0;
        while (p < end) {
            long tag = readVarint(buf, p, end);
            if (tag < 0) {
                return false;
            }
            p += (int) (tag >>> 32);
            int field = (int) tag >>> 3;
            int wireType = (int) tag & 7;
            if (field == 3 && wireType == 1) {
                if (p + 8 > end) {
                    return false;
                }
                checksum = buf.getLongLE(p);
                hasChecksum = true;
                p += 8;
            } else if ((field == 1 || field == 2) && wireType == 2) {
                long length = readVarint(buf, p, end);
                if (length < 0) {
                    return false;
                }
                p += (int) (length >>> 32);
                int n = (int) length;
                if (n < 0 || p + n > end) {
                    return false;
                }
                if (field == 1) {
                    idAt = p;
                    idBytes = n;
                } else {
                    payloadAt = p;
                    payloadBytes = n;
                }
                p += n;
            } else {
                p = skip(buf, p, end, wireType);
                if (p < 0) {
                    return false;
                }
            }
        }
        if (idAt < 0 || !hasChecksum) {
            return false;
        }
        crc.reset();
        update(buf, idAt, idBytes);
        if (payloadAt >= 0) {
            update(buf, payloadAt, payloadBytes);
        }
        if (crc.getValue() != checksum) {
            return false;
        }
        errCode = 0;
        overloadWaitMs = 0;
        return !parsePayload || payloadAt < 0 || decodeResponse(buf, payloadAt, payloadAt + payloadBytes);
    }

    int idAt() {
        return idAt;
    }

    int idBytes() {
        return idBytes;
    }

    int errCode() {
        return errCode;
    }

    int overloadWaitMs() {
        return overloadWaitMs;
    }

    private boolean decodeResponse(ByteBuf buf, int p, int end) {
        while (p < end) {
            long tag = readVarint(buf, p, end);
            if (tag < 0) {
                return false;
            }
            p += (int) (tag >>> 32);
            int field = (int) tag >>> 3;
            int wireType = (int) tag & 7;
            if ((field == 1 || field == 5) && wireType == 0) {
                long value = readVarint(buf, p, end);
                if (value < 0) {
                    return false;
                }
                p += (int) (value >>> 32);
                if (field == 1) {
                    errCode = (int) value;
                } else {
                    overloadWaitMs = (int) value;
                }
            } else {
                p = skip(buf, p, end, wireType);
                if (p < 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private void update(ByteBuf buf, int at, int length) {
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.internalNioBuffer(at, length));
        } else {
            crc.update(buf.nioBuffer(at, length));
        }
    }

    /** The index after the field's value, or -1 when it runs past the end or has a bad wire type. */
    private static int skip(ByteBuf buf, int p, int end, int wireType) {
        switch (wireType) {
            case 0 -> {
                long v = readVarint(buf, p, end);
                return v < 0 ? -1 : p + (int) (v >>> 32);
            }
            case 1 -> {
                return p + 8 <= end ? p + 8 : -1;
            }
            case 2 -> {
                long v = readVarint(buf, p, end);
                if (v < 0) {
                    return -1;
                }
                int n = (int) v;
                int next = p + (int) (v >>> 32) + n;
                return n >= 0 && next <= end ? next : -1;
            }
            case 5 -> {
                return p + 4 <= end ? p + 4 : -1;
            }
            default -> {
                return -1;
            }
        }
    }

    /**
     * A varint at {@code p}: the low 32 bits of its value in the low half of the result, its length
     * in bytes in the high half; -1 when it is truncated or longer than 10 bytes. Values above 32
     * bits (negative int32s are sign-extended to 10 bytes) keep only their low 32 bits, as int32
     * fields do.
     */
    static long readVarint(ByteBuf buf, int p, int end) {
        long value = 0;
        for (int i = 0; i < 10; i++) {
            if (p + i >= end) {
                return -1;
            }
            byte b = buf.getByte(p + i);
            if (i < 5) {
                value |= (long) (b & 0x7f) << (7 * i);
            }
            if (b >= 0) {
                return ((long) (i + 1) << 32) | (value & 0xffffffffL);
            }
        }
        return -1;
    }
}
