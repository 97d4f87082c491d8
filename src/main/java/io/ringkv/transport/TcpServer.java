package io.ringkv.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener for varint-length-prefixed frames. Requests on one connection may be pipelined;
 * replies go back as each completes (clients match them by messageID). A connection whose peer
 * does not read its replies stops being read once its outbound buffer passes the high-water mark,
 * so one slow client cannot fill our memory.
 */
public final class TcpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpServer.class);

    private final TcpListener listener;

    /** {@code hook}'s handler, if it gives one, goes between the framing and the requests of each connection. */
    public TcpServer(Transports transports, InetSocketAddress bind, int threads, int frameBytesMax,
            PacketHandler handler, ChannelHook hook) throws InterruptedException {
        listener = new TcpListener(transports, bind, threads, "tcp", ch -> {
            ch.pipeline().addLast("frames", new VarintFrameDecoder(frameBytesMax));
            hook.addTo(ch.pipeline());
            ch.pipeline().addLast("requests", new Inbound(handler, new ReplyFlusher(ch)));
        });
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() {
        listener.close();
    }

    /** Writes one reply frame: varint length then the bytes, without copying the bytes. */
    static ByteBuf frame(byte[] bytes) {
        ByteBuf header = Unpooled.buffer(5, 5);
        int value = bytes.length;
        while ((value & ~0x7f) != 0) {
            header.writeByte((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        header.writeByte(value);
        return Unpooled.wrappedBuffer(header, Unpooled.wrappedBuffer(bytes));
    }

    private static final class Inbound extends SimpleChannelInboundHandler<ByteBuf> {
        private final PacketHandler handler;
        /**
         * Set on the event loop when a frame is rejected: frames already split off the same read
         * batch must not run after we decided the stream cannot be trusted.
         */
        private boolean rejected;

        private final ReplyFlusher replies;

        Inbound(PacketHandler handler, ReplyFlusher replies) {
            this.handler = handler;
            this.replies = replies;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (rejected) {
                return;
            }
            Channel channel = ctx.channel();
            InetSocketAddress sender = (InetSocketAddress) channel.remoteAddress();
            replies.reading();
            handler.handle(frame, sender, new PacketHandler.Replier() {
                @Override
                public void reply(byte[] bytes) {
                    replies.write(frame(bytes));
                }

                @Override
                public void reject(String reason) {
                    if (channel.eventLoop().inEventLoop()) {
                        rejected = true;
                    }
                    log.warn("closing TCP connection from {}: {}", sender, reason);
                    channel.close();
                }
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            replies.readComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // Back-pressure: stop reading requests while the peer is not reading replies.
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            rejected = true;
            if (cause instanceof DecoderException) {
                log.warn("closing TCP connection from {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
                handler.discarded((InetSocketAddress) ctx.channel().remoteAddress(), PacketHandler.Discard.BAD_FRAME);
            } else {
                log.warn("closing TCP connection from {} after an error", ctx.channel().remoteAddress(), cause);
            }
            ctx.close();
        }
    }
}
