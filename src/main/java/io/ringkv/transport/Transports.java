package io.ringkv.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.ringkv.common.CallerLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Chooses Netty's native epoll transport on Linux (SO_REUSEPORT lets several event loops share
 * one UDP port, and it saves a copy per datagram) and falls back to NIO elsewhere.
 */
public record Transports(
        boolean nativeEpoll,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends DatagramChannel> datagramChannel,
        Class<? extends ServerSocketChannel> serverSocketChannel) {

    public static Transports best() {
        if (Epoll.isAvailable()) {
            return new Transports(true, EpollIoHandler.newFactory(), EpollDatagramChannel.class,
                    EpollServerSocketChannel.class);
        }
        return new Transports(false, NioIoHandler.newFactory(), NioDatagramChannel.class,
                NioServerSocketChannel.class);
    }

    /** A group of event loops, each registered as its thread's {@link CallerLoop}. */
    public EventLoopGroup newGroup(int threads, String name) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
                ioHandlerFactory);
        for (EventExecutor loop : group) {
            loop.execute(() -> CallerLoop.register(loop));
        }
        return group;
    }

    public String describe() {
        return nativeEpoll ? "epoll" : "nio";
    }
}
