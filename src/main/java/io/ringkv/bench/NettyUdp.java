package io.ringkv.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Netty UDP plumbing shared by the load generator and the echo server. Prefers native epoll: it
 * batches datagrams into one sendmmsg per flush and one recvmmsg per read (given a maximum datagram
 * size), which is most of the difference between tens and hundreds of thousands of round trips per
 * second. NIO is the fallback off Linux.
 */
record NettyUdp(boolean epoll, IoHandlerFactory ioHandlerFactory, Class<? extends DatagramChannel> channelClass) {
    /** Datagrams per recvmmsg call, at most. */
    static final int DATAGRAMS_PER_READ_MAX = 32;
    /** Bytes of one receive buffer, at most: large datagrams get fewer per call. */
    static final int READ_BUFFER_BYTES_MAX = 256 << 10;
    static final int SOCKET_BUFFER_BYTES = 4 << 20;
    /** Reads per readiness event before the loop serves its other channels and tasks. */
    static final int READS_PER_EVENT_MAX = 64;
    /** Room for the envelope and response fields around a value, generously rounded up. */
    static final int ENVELOPE_OVERHEAD_BYTES = 512;
    static final int DATAGRAM_BYTES_MIN = 2_048;

    /** The largest datagram either side of a run exchanges when values have {@code valueBytes}. */
    static int datagramBytesFor(int valueBytes) {
        return Math.max(DATAGRAM_BYTES_MIN, valueBytes + ENVELOPE_OVERHEAD_BYTES);
    }

    static NettyUdp best() {
        return Epoll.isAvailable()
                ? new NettyUdp(true, EpollIoHandler.newFactory(), EpollDatagramChannel.class)
                : new NettyUdp(false, NioIoHandler.newFactory(), NioDatagramChannel.class);
    }

    EventLoopGroup newGroup(int threads, String name) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), ioHandlerFactory);
    }

    /**
     * A bootstrap for sockets that receive datagrams of at most {@code datagramBytesMax} bytes.
     *
     * <p>RCVBUF_ALLOCATOR is deprecated in Netty 4.2, but epoll's datagram channel still sizes its
     * recvmmsg batch from that allocator's buffer, so it stays until Netty offers another way.
     */
    @SuppressWarnings("deprecation")
    Bootstrap bootstrap(EventLoopGroup group, int datagramBytesMax) {
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES);
        if (epoll) {
            // One receive buffer holds a batch of datagrams, each in its own max-size slot.
            int batch = Math.clamp(READ_BUFFER_BYTES_MAX / datagramBytesMax, 1, DATAGRAMS_PER_READ_MAX);
            b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, datagramBytesMax)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(datagramBytesMax * batch).maxMessagesPerRead(READS_PER_EVENT_MAX));
        } else {
            b.option(ChannelOption.RCVBUF_ALLOCATOR,
                    new FixedRecvByteBufAllocator(datagramBytesMax).maxMessagesPerRead(READS_PER_EVENT_MAX));
        }
        return b;
    }

    String describe() {
        return epoll ? "epoll" : "nio";
    }
}
