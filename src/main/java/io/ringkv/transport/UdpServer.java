package io.ringkv.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP listener: one datagram in, at most one datagram back to its sender.
 *
 * <p>With epoll, {@code threads} sockets bind the same port with SO_REUSEPORT and the kernel
 * spreads clients across them (a client's address always lands on the same socket); with NIO a
 * single socket and event loop serve everything. With epoll a read is one recvmmsg of up to
 * {@link #DATAGRAMS_PER_READ_MAX} datagrams, and the replies of a read leave in one sendmmsg.
 */
public final class UdpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UdpServer.class);
    /** Datagrams one recvmmsg reads at most (epoll only). */
    static final int DATAGRAMS_PER_READ_MAX = 32;
    /**
     * Bytes of one receive buffer at most: the larger the datagrams may be, the fewer per call
     * (16 at the default limit of 65,507 bytes; only the bytes a datagram fills are touched).
     */
    static final int READ_BUFFER_BYTES_MAX = 1 << 20;

    private final EventLoopGroup group;
    private final List<Channel> channels = new ArrayList<>();
    private final InetSocketAddress address;

    /** {@code hook}'s handler, if it gives one, goes in front of {@code handler} on each socket. */
    public UdpServer(Transports transports, InetSocketAddress bind, int threads, int datagramBytesMax,
            PacketHandler handler, ChannelHook hook) throws InterruptedException {
        int sockets = transports.nativeEpoll() ? threads : 1;
        group = transports.newGroup(sockets, "ringkv-udp");
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channel(transports.datagramChannel())
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    // A slot of one byte more than the largest datagram we accept: a bigger one is
                    // truncated by the kernel to fill its slot, and that tells it apart.
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(datagramBytesMax + 1))
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, 64)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            hook.addTo(ch.pipeline());
                            ch.pipeline().addLast("requests",
                                    new Inbound(handler, datagramBytesMax, new ReplyFlusher(ch)));
                        }
                    });
            if (transports.nativeEpoll()) {
                bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
                // recvmmsg: one receive buffer holds a batch of slots, so one system call reads up
                // to a batch of datagrams instead of one. The buffer comes from Netty's classic
                // pooled allocator: under -Xmx64m the adaptive one treats direct memory as scarce and
                // would allocate (and free) a buffer this large afresh for every read.
                int slot = datagramBytesMax + 1;
                int batch = Math.clamp(READ_BUFFER_BYTES_MAX / slot, 1, DATAGRAMS_PER_READ_MAX);
                if (batch > 1) {
                    bootstrap.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot)
                            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(slot * batch))
                            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
                }
            }
            for (int i = 0; i < sockets; i++) {
                channels.add(bootstrap.bind(bind).sync().channel());
            }
            address = (InetSocketAddress) channels.getFirst().localAddress();
            log.info("UDP listening on {} ({} x {})", address, sockets, transports.describe());
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        for (Channel c : channels) {
            c.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One per socket: its replies are flushed per read batch by its {@link ReplyFlusher}. */
    private static final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
        private final PacketHandler handler;
        private final int datagramBytesMax;
        private final ReplyFlusher replies;

        Inbound(PacketHandler handler, int datagramBytesMax, ReplyFlusher replies) {
            this.handler = handler;
            this.datagramBytesMax = datagramBytesMax;
            this.replies = replies;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            if (packet.content().readableBytes() > datagramBytesMax) {
                // The receive buffer is one byte larger than the limit, so a full buffer means the
                // kernel truncated a datagram that was too large; nobody can trust its content.
                handler.discarded(packet.sender(), PacketHandler.Discard.OVERSIZED_DATAGRAM);
                return;
            }
            InetSocketAddress sender = packet.sender();
            replies.reading();
            handler.handle(packet.content(), sender, new PacketHandler.Replier() {
                @Override
                public void reply(byte[] bytes) {
                    replies.write(new DatagramPacket(Unpooled.wrappedBuffer(bytes), sender));
                }

                @Override
                public void reject(String reason) {
                    // Nothing to do: a datagram that cannot be answered is dropped (and counted by the handler).
                }
            });
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            replies.readComplete();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A UDP socket has no peer to disconnect; log and keep serving.
            log.warn("UDP listener error (still serving)", cause);
        }
    }
}
