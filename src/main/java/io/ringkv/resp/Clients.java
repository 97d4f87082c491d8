package io.ringkv.resp;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The listener's open connections (for CLIENT LIST and the connection limit) and the counters INFO
 * reports. Thread-safe.
 */
final class Clients {
    private final int connectionsMax;
    private final AtomicLong nextId = new AtomicLong();
    private final ConcurrentHashMap<Long, Session> open = new ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final LongAdder commands = new LongAdder();
    private final long startedMillis;

    Clients(int connectionsMax, long nowMillis) {
        this.connectionsMax = connectionsMax;
        this.startedMillis = nowMillis;
    }

    /** Registers a new connection, or returns null (and counts it) when the limit is reached. */
    Session open(java.net.InetSocketAddress remote, java.net.InetSocketAddress local, long nowMillis) {
        received.incrementAndGet();
        if (open.size() >= connectionsMax) {
            rejected.incrementAndGet();
            return null;
        }
        Session session = new Session(nextId.incrementAndGet(), remote, local, nowMillis);
        open.put(session.id, session);
        return session;
    }

    void closed(Session session) {
        open.remove(session.id);
    }

    void commandProcessed() {
        commands.increment();
    }

    Collection<Session> sessions() {
        return open.values();
    }

    int connected() {
        return open.size();
    }

    int connectionsMax() {
        return connectionsMax;
    }

    long received() {
        return received.get();
    }

    long rejected() {
        return rejected.get();
    }

    long commands() {
        return commands.sum();
    }

    long startedMillis() {
        return startedMillis;
    }
}
