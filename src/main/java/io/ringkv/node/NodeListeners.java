package io.ringkv.node;

import io.ringkv.config.RingKvProperties;
import io.ringkv.transport.TcpServer;
import io.ringkv.transport.Transports;
import io.ringkv.transport.UdpServer;
import java.net.InetSocketAddress;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the data-plane listeners once everything they call is ready, and closes them first on the
 * way down, so no request arrives at a storage engine that is not open.
 */
final class NodeListeners implements SmartLifecycle {
    private final RingKvProperties properties;
    private final RequestProcessor processor;
    private volatile UdpServer udp;
    private volatile TcpServer tcp;

    NodeListeners(RingKvProperties properties, RequestProcessor processor) {
        this.properties = properties;
        this.processor = processor;
    }

    @Override
    public void start() {
        var node = properties.node();
        int threads = node.ioThreads() > 0 ? node.ioThreads() : Runtime.getRuntime().availableProcessors();
        InetSocketAddress bind = new InetSocketAddress(node.host(), node.port());
        Transports transports = Transports.best();
        try {
            // TCP first: it binds without SO_REUSEPORT, so a second node on the same port fails here
            // instead of silently sharing the UDP port (and its traffic) with the first.
            tcp = new TcpServer(transports, bind, threads, properties.limits().frameBytesMax(), processor);
            udp = new UdpServer(transports, bind, threads, properties.limits().frameBytesMax(), processor);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while binding " + bind, e);
        } catch (RuntimeException e) {
            stop();
            throw new IllegalStateException("cannot listen on " + bind + " (UDP and TCP): " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        if (tcp != null) {
            tcp.close();
            tcp = null;
        }
        if (udp != null) {
            udp.close();
            udp = null;
        }
    }

    @Override
    public boolean isRunning() {
        return tcp != null;
    }

    @Override
    public int getPhase() {
        // Late start, early stop: after storage and web, before them on shutdown.
        return Integer.MAX_VALUE - 1000;
    }
}
