package io.ringkv.cluster;

import io.ringkv.client.Protocol;
import io.ringkv.client.RequestNotSentException;
import io.ringkv.client.RingKvClient;
import io.ringkv.ring.Member;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TCP links from this node to its peers, one pipelined connection per peer address, opened on
 * first use and kept. A peer that cannot be reached fails the exchange at once; the next exchange
 * tries to connect again.
 *
 * <p>Thread-safe. {@link #exchange} never blocks the caller for longer than a connect attempt to a
 * new peer ({@link #CONNECT_TIMEOUT_MS}).
 */
public final class PeerClients implements Peers, AutoCloseable {
    /** A peer on loopback or a LAN connects in well under this; a dead one must not stall callers. */
    static final int CONNECT_TIMEOUT_MS = 500;
    /** How long a forwarded request waits for the owner, which may itself wait on an fsync or a lock. */
    public static final long REPLY_TIMEOUT_MS = 3_000;
    /** Requests in flight per peer; beyond it callers wait (see RingKvClientBuilder). */
    static final int IN_FLIGHT_MAX = 1024;

    private final Map<String, RingKvClient> clients = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Sends one request to a member and completes with its reply, or exceptionally when none came. */
    @Override
    public CompletableFuture<KVResponse> exchange(Member peer, KVRequest request) {
        RingKvClient client;
        try {
            client = client(peer);
        } catch (java.io.UncheckedIOException e) {
            // The first connection is made when the link is built: nothing was sent.
            return CompletableFuture.failedFuture(new RequestNotSentException(e.getMessage(), e.getCause()));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return client.exchangeAsync(request);
    }

    private RingKvClient client(Member peer) {
        if (closed) {
            throw new IllegalStateException("peer links are closed");
        }
        return clients.computeIfAbsent(peer.address(), address -> RingKvClient.builder()
                .host(peer.host())
                .port(peer.port())
                .protocol(Protocol.TCP)
                .connectTimeoutMs(CONNECT_TIMEOUT_MS)
                .initialTimeoutMs(REPLY_TIMEOUT_MS)
                .tries(1)
                .inFlightMax(IN_FLIGHT_MAX)
                .build());
    }

    /** Forgets the link to an address (a member that left), closing it. */
    public void forget(Member peer) {
        RingKvClient client = clients.remove(peer.address());
        if (client != null) {
            client.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        clients.values().forEach(RingKvClient::close);
        clients.clear();
    }
}
