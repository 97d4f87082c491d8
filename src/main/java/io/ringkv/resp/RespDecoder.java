package io.ringkv.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a connection's bytes into commands ({@link RespParser.Command}) with {@link RespParser}.
 * A stream that is not RESP yields one {@link RespParser.Malformed} after the commands before it,
 * and nothing more: the handler answers it, in order, and closes the connection.
 */
final class RespDecoder extends ByteToMessageDecoder {
    private final RespParser parser;
    private boolean failed;

    RespDecoder(RespParser parser) {
        this.parser = parser;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        switch (parser.next(in)) {
            case RespParser.Command command -> out.add(command);
            case RespParser.NeedMore needMore -> {}
            case RespParser.Malformed malformed -> {
                failed = true;
                in.skipBytes(in.readableBytes());
                out.add(malformed);
            }
        }
    }
}
