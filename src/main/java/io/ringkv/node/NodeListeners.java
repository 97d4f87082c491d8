package io.ringkv.node;

import io.ringkv.config.RingKvProperties;
import io.ringkv.resp.RespBackend;
import io.ringkv.resp.RespLimits;
import io.ringkv.resp.RespMetrics;
import io.ringkv.resp.RespServer;
import io.ringkv.transport.ChannelHook;
import io.ringkv.transport.TcpServer;
import io.ringkv.transport.Transports;
import io.ringkv.transport.UdpServer;
import java.net.InetSocketAddress;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the data-plane listeners once everything they call is ready, and closes them first on the
 * way down, so no request arrives at a storage engine that is not open. The hooks put decorators
 * (network faults, when enabled) into the UDP and protobuf-TCP listeners; RESP gets none.
 */
final class NodeListeners implements SmartLifecycle {
    private final RingKvProperties properties;
    private final RequestProcessor processor;
    private final RespBackend respBackend;
    private final RespMetrics respMetrics;
    private final ChannelHook udpHook;
    private final ChannelHook tcpHook;
    private volatile UdpServer udp;
    private volatile TcpServer tcp;
    private volatile RespServer resp;

    NodeListeners(RingKvProperties properties, RequestProcessor processor, RespBackend respBackend,
            RespMetrics respMetrics, ChannelHook udpHook, ChannelHook tcpHook) {
        this.properties = properties;
        this.processor = processor;
        this.respBackend = respBackend;
        this.respMetrics = respMetrics;
        this.udpHook = udpHook;
        this.tcpHook = tcpHook;
    }

    @Override
    public void start() {
        var node = properties.node();
        var limits = properties.limits();
        int threads = node.ioThreads() > 0 ? node.ioThreads() : Runtime.getRuntime().availableProcessors();
        InetSocketAddress bind = new InetSocketAddress(node.host(), node.port());
        InetSocketAddress respBind = new InetSocketAddress(node.host(), node.respPort());
        Transports transports = Transports.best();
        // TCP first: it binds without SO_REUSEPORT, so a second node on the same port fails here
        // instead of silently sharing the UDP port (and its traffic) with the first.
        bind(bind, "UDP and TCP", () -> {
            tcp = new TcpServer(transports, bind, threads, limits.frameBytesMax(), processor, tcpHook);
            udp = new UdpServer(transports, bind, threads, limits.frameBytesMax(), processor, udpHook);
        });
        if (node.respPort() == 0) {
            return; // RESP turned off
        }
        bind(respBind, "RESP, ringkv.node.resp-port", () -> resp = new RespServer(transports, respBind, threads,
                RespLimits.of(limits.keyBytesMax(), limits.valueBytesMax(), limits.frameBytesMax()),
                respBackend, respMetrics, version()));
    }

    private interface Binding {
        void run() throws InterruptedException;
    }

    /** Runs one binding step; on failure closes whatever is open and says which address failed. */
    private void bind(InetSocketAddress address, String what, Binding binding) {
        try {
            binding.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while binding " + address, e);
        } catch (RuntimeException e) {
            stop();
            throw new IllegalStateException("cannot listen on " + address + " (" + what + "): " + e.getMessage(), e);
        }
    }

    private static String version() {
        String version = NodeListeners.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }

    @Override
    public void stop() {
        if (resp != null) {
            resp.close();
            resp = null;
        }
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
