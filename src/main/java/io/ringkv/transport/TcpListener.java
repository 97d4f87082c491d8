package io.ringkv.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bound TCP server socket with its accept and worker event loops, shared by the node's TCP
 * listeners (protobuf frames, RESP). Connections get TCP_NODELAY and write-buffer watermarks
 * (256 KiB low, 1 MiB high), so a handler can stop reading a connection whose peer does not read
 * its replies; {@code pipeline} fills in each connection's handlers.
 */
public final class TcpListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpListener.class);
    private static final int WRITE_HIGH_WATER_BYTES = 1 << 20;
    private static final int WRITE_LOW_WATER_BYTES = 256 << 10;
    private static final int BACKLOG = 1024;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel channel;

    /** Binds {@code bind}; {@code name} names the threads ({@code ringkv-<name>}) and the log line. */
    public TcpListener(Transports transports, InetSocketAddress bind, int threads, String name,
            Consumer<SocketChannel> pipeline) throws InterruptedException {
        boss = transports.newGroup(1, "ringkv-" + name + "-accept");
        workers = transports.newGroup(threads, "ringkv-" + name);
        try {
            channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(transports.serverSocketChannel())
                    .option(ChannelOption.SO_BACKLOG, BACKLOG)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(WRITE_LOW_WATER_BYTES, WRITE_HIGH_WATER_BYTES))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            pipeline.accept(ch);
                        }
                    })
                    .bind(bind).sync().channel();
            log.info("{} listening on {} ({} x {})", name.toUpperCase(Locale.ROOT), channel.localAddress(),
                    threads, transports.describe());
        } catch (InterruptedException | RuntimeException e) {
            closeGroups();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        closeGroups();
    }

    private void closeGroups() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
