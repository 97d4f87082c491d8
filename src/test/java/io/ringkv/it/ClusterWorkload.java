package io.ringkv.it;

import com.google.protobuf.ByteString;
import io.ringkv.client.ClientStats;
import io.ringkv.client.OutcomeUnknownException;
import io.ringkv.client.Protocol;
import io.ringkv.client.RingKvClient;
import io.ringkv.client.RingKvException;
import io.ringkv.client.VersionedValue;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Clients that keep writing and reading with verification while a cluster changes underneath
 * them, through the real client library over UDP to whichever node they pick.
 *
 * <p>Each client owns the keys {@code k} with {@code k % clients == i}, so the last acknowledged
 * write of a key is well defined (see {@link DurabilityModel}); a read that shows a state the
 * model does not allow is a wrong read. Entry nodes are chosen at random per request from what
 * {@code nodes} supplies at that moment, so requests land on owners and non-owners alike.
 */
final class ClusterWorkload implements AutoCloseable {
    static final int VALUE_BYTES = 100;

    private final int keys;
    private final int clients;
    private final long seed;
    private final java.util.function.IntFunction<Supplier<List<InetSocketAddress>>> nodesOf;
    private final DurabilityModel model;
    private final AtomicBoolean running = new AtomicBoolean();
    private final ExecutorService pool;
    private final List<Future<?>> workers = new ArrayList<>();
    private final List<RingKvClient> opened = new ArrayList<>();
    final AtomicLong acknowledged = new AtomicLong();
    final AtomicLong unknown = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong wrongReads = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    /** Keys the last {@link #verifyAll} found present. */
    final AtomicLong lastPresent = new AtomicLong();
    /** Every acknowledged write: the node it went through, and when it was invoked and answered. */
    record Ack(InetSocketAddress via, long invokedNanos, long answeredNanos) {}

    private final java.util.Queue<Ack> acks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<String> wrongReadReports = java.util.Collections.synchronizedList(new ArrayList<>());

    ClusterWorkload(int keys, int clients, long seed, Supplier<List<InetSocketAddress>> nodes) {
        this(keys, clients, seed, client -> nodes);
    }

    /** Client {@code i} picks its entry nodes from {@code nodesOf.apply(i)}. */
    ClusterWorkload(int keys, int clients, long seed,
            java.util.function.IntFunction<Supplier<List<InetSocketAddress>>> nodesOf) {
        this.keys = keys;
        this.clients = clients;
        this.seed = seed;
        this.nodesOf = nodesOf;
        this.model = new DurabilityModel(keys);
        this.pool = Executors.newFixedThreadPool(clients, Thread.ofPlatform().name("workload-", 0).factory());
    }

    static byte[] key(int k) {
        return ("key-" + k).getBytes(StandardCharsets.UTF_8);
    }

    private static ByteString value(Random random, int k, long serial) {
        byte[] bytes = new byte[VALUE_BYTES];
        random.nextBytes(bytes);
        byte[] tag = ("k" + k + "s" + serial + ":").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(tag, 0, bytes, 0, tag.length);
        return ByteString.copyFrom(bytes);
    }

    /** Writes every key once, sequentially per client, before the changes begin. */
    void load() throws Exception {
        loadAll();
    }

    /** Starts the clients in the background; {@link #stop()} ends them. */
    void start() {
        running.set(true);
        for (int i = 0; i < clients; i++) {
            int client = i;
            workers.add(pool.submit(() -> {
                loop(client, true);
                return null;
            }));
        }
    }

    /** Stops the background clients and waits for them. */
    void stop() throws Exception {
        running.set(false);
        for (Future<?> f : workers) {
            f.get(60, TimeUnit.SECONDS);
        }
        workers.clear();
    }

    private void loadAll() throws Exception {
        List<Future<?>> load = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            int client = i;
            load.add(pool.submit(() -> {
                loop(client, false);
                return null;
            }));
        }
        for (Future<?> f : load) {
            f.get(5, TimeUnit.MINUTES);
        }
    }

    /** A UDP client that retries lost datagrams and waits out the OVERLOAD of a moving range. */
    static RingKvClient newClient(InetSocketAddress node) {
        return RingKvClient.builder().server(node).protocol(Protocol.UDP).initialTimeoutMs(300).tries(5)
                .overloadRetriesMax(200).build();
    }

    private RingKvClient client(InetSocketAddress node) {
        RingKvClient c = newClient(node);
        synchronized (opened) {
            opened.add(c);
        }
        return c;
    }

    private void loop(int client, boolean mixed) {
        Random random = new Random(seed * 31 + client);
        Supplier<List<InetSocketAddress>> nodes = nodesOf.apply(client);
        java.util.Map<InetSocketAddress, RingKvClient> byNode = new java.util.HashMap<>();
        long serial = 0;
        int next = client;
        while (mixed ? running.get() : next < keys) {
            int k;
            if (mixed) {
                int mine = (keys - client + clients - 1) / clients;
                k = client + clients * random.nextInt(Math.max(1, mine));
                if (k >= keys) {
                    continue;
                }
            } else {
                k = next;
                next += clients;
            }
            List<InetSocketAddress> entry = nodes.get();
            InetSocketAddress via = entry.get(random.nextInt(entry.size()));
            RingKvClient c = byNode.computeIfAbsent(via, this::client);
            long invoked = System.nanoTime();
            int op = mixed ? random.nextInt(10) : 0;
            serial++;
            try {
                if (op < 4) {
                    ByteString v = value(random, k, serial);
                    int version = (int) serial;
                    DurabilityModel.State state = new DurabilityModel.Present(v, version);
                    try {
                        c.put(key(k), v.toByteArray(), version);
                        model.acknowledged(k, state, "PUT s" + serial);
                        acknowledged(via, invoked);
                    } catch (OutcomeUnknownException e) {
                        model.unknown(k, state, "PUT s" + serial);
                        unknown.incrementAndGet();
                    }
                } else if (op == 4) {
                    try {
                        c.remove(key(k));
                        model.acknowledged(k, DurabilityModel.ABSENT, "REMOVE s" + serial);
                        acknowledged(via, invoked);
                    } catch (OutcomeUnknownException e) {
                        model.unknown(k, DurabilityModel.ABSENT, "REMOVE s" + serial);
                        unknown.incrementAndGet();
                    } catch (RingKvException e) {
                        if (!e.isNoSuchKey()) {
                            throw e;
                        }
                        // NO_SUCH_KEY: the key was absent, which is a read.
                        check(k, DurabilityModel.ABSENT, "REMOVE s" + serial + " said absent");
                    }
                } else {
                    check(k, read(c, k), "GET s" + serial);
                }
            } catch (OutcomeUnknownException e) {
                unknown.incrementAndGet(); // a read that got no answer changes nothing
            } catch (RingKvException e) {
                errors.incrementAndGet();
            }
        }
    }

    private void acknowledged(InetSocketAddress via, long invokedNanos) {
        acknowledged.incrementAndGet();
        acks.add(new Ack(via, invokedNanos, System.nanoTime()));
    }

    /** The writes acknowledged through {@code via} that were invoked and answered within [from, to]. */
    List<Ack> acknowledgedVia(InetSocketAddress via, long fromNanos, long toNanos) {
        return acks.stream().filter(a -> a.via().equals(via) && a.invokedNanos() - fromNanos >= 0
                && toNanos - a.answeredNanos() >= 0).toList();
    }

    /** The writes acknowledged through any node but {@code via} that were answered within [from, to]. */
    long acknowledgedElsewhere(InetSocketAddress via, long fromNanos, long toNanos) {
        return acks.stream().filter(a -> !a.via().equals(via) && a.answeredNanos() - fromNanos >= 0
                && toNanos - a.answeredNanos() >= 0).count();
    }

    private static DurabilityModel.State read(RingKvClient c, int k) {
        try {
            VersionedValue v = c.get(key(k));
            return new DurabilityModel.Present(ByteString.copyFrom(v.value()), v.version());
        } catch (RingKvException e) {
            if (e.isNoSuchKey()) {
                return DurabilityModel.ABSENT;
            }
            throw e;
        }
    }

    private void check(int k, DurabilityModel.State seen, String what) {
        reads.incrementAndGet();
        if (!model.observed(k, seen, what)) {
            wrongReads.incrementAndGet();
            if (wrongReadReports.size() < 10) {
                wrongReadReports.add("key-" + k + ":\n" + model.history(k));
            }
        }
    }

    /** Reads every key through {@code node} and counts those that differ from the model. */
    long verifyAll(InetSocketAddress node) {
        long wrong = 0;
        long present = 0;
        try (RingKvClient c = newClient(node)) {
            for (int k = 0; k < keys; k++) {
                DurabilityModel.State seen = read(c, k);
                reads.incrementAndGet();
                if (seen != DurabilityModel.ABSENT) {
                    present++;
                }
                if (!model.observed(k, seen, "final read via " + node)) {
                    wrong++;
                    if (wrongReadReports.size() < 10) {
                        wrongReadReports.add("key-" + k + " (final, via " + node + "):\n" + model.history(k));
                    }
                }
            }
        }
        wrongReads.addAndGet(wrong);
        lastPresent.set(present);
        return wrong;
    }

    List<String> wrongReadReports() {
        return List.copyOf(wrongReadReports);
    }

    /** Client counters summed over every client opened. */
    ClientStats stats() {
        long sent = 0, resent = 0, overload = 0, timedOut = 0, stale = 0, bad = 0;
        synchronized (opened) {
            for (RingKvClient c : opened) {
                ClientStats s = c.stats();
                sent += s.sent();
                resent += s.resent();
                overload += s.overloadWaits();
                timedOut += s.timedOut();
                stale += s.staleReplies();
                bad += s.badReplies();
            }
        }
        return new ClientStats(sent, resent, overload, timedOut, stale, bad, 0);
    }

    String summary() {
        ClientStats s = stats();
        return String.format("%d acknowledged writes, %d unknown outcomes, %d reads (%d wrong), %d error replies; "
                        + "client: %d sent, %d resent, %d OVERLOAD waits, %d timed out",
                acknowledged.get(), unknown.get(), reads.get(), wrongReads.get(), errors.get(), s.sent(), s.resent(),
                s.overloadWaits(), s.timedOut());
    }

    @Override
    public void close() {
        running.set(false);
        pool.shutdownNow();
        synchronized (opened) {
            opened.forEach(RingKvClient::close);
        }
    }
}
