package io.ringkv.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits a TCP stream into frames prefixed by a protobuf varint32 length (protobuf's delimited
 * format). The length is checked against {@code frameBytesMax} before anything is buffered for it,
 * so a peer cannot make us allocate what it merely claims. A bad header throws, and the connection
 * is closed by the server's exception handler.
 */
public final class VarintFrameDecoder extends ByteToMessageDecoder {
    private static final int HEADER_BYTES_MAX = 5;

    private final int frameBytesMax;
    /** Set by the first bad header: nothing after it can be framed, so nothing more is decoded. */
    private boolean failed;

    public VarintFrameDecoder(int frameBytesMax) {
        if (frameBytesMax <= 0) {
            throw new IllegalArgumentException("frameBytesMax must be positive, was " + frameBytesMax);
        }
        this.frameBytesMax = frameBytesMax;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            int start = in.readerIndex();
            long length;
            try {
                length = readVarint(in);
            } catch (CorruptedFrameException e) {
                fail(in);
                throw e;
            }
            if (length == -1) {
                in.readerIndex(start); // header incomplete: wait for more bytes
                return;
            }
            if (length > frameBytesMax) {
                fail(in);
                throw new TooLongFrameException("frame of " + length + " bytes exceeds limit of " + frameBytesMax);
            }
            if (in.readableBytes() < length) {
                in.readerIndex(start);
                return;
            }
            out.add(in.readRetainedSlice((int) length));
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    /** The varint at the reader index, or -1 when more bytes are needed. Throws on a malformed one. */
    private static long readVarint(ByteBuf in) {
        long value = 0;
        for (int i = 0; i < HEADER_BYTES_MAX; i++) {
            if (!in.isReadable()) {
                return -1;
            }
            byte b = in.readByte();
            value |= (long) (b & 0x7f) << (7 * i);
            if (b >= 0) {
                return value;
            }
        }
        throw new CorruptedFrameException("frame length varint longer than " + HEADER_BYTES_MAX + " bytes");
    }
}
