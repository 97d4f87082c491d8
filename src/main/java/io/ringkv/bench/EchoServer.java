package io.ringkv.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sends every datagram back to its sender, unchanged: the ceiling of UDP request/reply on this
 * machine with the same batching a node gets, to compare node figures against. With epoll,
 * {@code threads} sockets share the port (SO_REUSEPORT) and the kernel spreads senders across them.
 * Datagrams longer than {@code datagramBytesMax} are truncated by the kernel (and then fail the
 * bench's checksum).
 */
final class EchoServer implements AutoCloseable {
    private final NettyUdp udp;
    private final EventLoopGroup group;
    private final List<Channel> channels = new ArrayList<>();

    EchoServer(String host, int port, int threads, int datagramBytesMax) throws InterruptedException {
        udp = NettyUdp.best();
        int sockets = udp.epoll() ? threads : 1;
        group = udp.newGroup(sockets, "ringkv-echo");
        try {
            var bootstrap = udp.bootstrap(group, datagramBytesMax).handler(new Echo());
            if (udp.epoll()) {
                bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            InetSocketAddress bind = new InetSocketAddress(host, port);
            for (int i = 0; i < sockets; i++) {
                Channel channel = bootstrap.bind(bind).sync().channel();
                channels.add(channel);
                // A port of 0 means "any": the other sockets must join the one the first got.
                bind = (InetSocketAddress) channel.localAddress();
            }
        } catch (InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channels.getFirst().localAddress();
    }

    String describe() {
        return channels.size() + " socket" + (channels.size() == 1 ? "" : "s") + ", " + udp.describe();
    }

    /** Blocks until the server is closed (by another thread or a shutdown hook). */
    void awaitClose() throws InterruptedException {
        for (Channel channel : channels) {
            channel.closeFuture().sync();
        }
    }

    @Override
    public void close() {
        for (Channel channel : channels) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket packet) {
                // The reply takes over the received buffer; the write releases it.
                ctx.write(new DatagramPacket(packet.content(), packet.sender()), ctx.voidPromise());
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // One flush per read batch: the replies leave in one sendmmsg.
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // An ICMP error for one sender must not stop the echo for the others.
        }
    }
}
