package io.ringkv.membership;

import io.ringkv.membership.MembershipCodec.Decoded;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one member's {@link SwimCore} on a UDP socket: one thread waits on the socket until a
 * datagram arrives or the core's next tick is due, decodes and authenticates what arrives, feeds
 * it and the ticks to the core, and sends what the core returns. Everything the core does happens
 * on that thread; other threads talk to it only through {@link #join}, {@link #leave} (a bounded
 * queue of commands) and read {@link #liveMembers()} (an immutable snapshot).
 *
 * <p>Limits: datagrams over the configured size are truncated by the socket and rejected; at most
 * {@link #DATAGRAMS_PER_WAKEUP_MAX} are read before the core is ticked again, so a flood cannot
 * starve the timers; the socket's receive buffer is the only inbound queue, and what overflows it is
 * lost like any datagram. Sending never blocks: a datagram the socket cannot take at once is dropped
 * and counted. Host names in member addresses are resolved on this thread, once each (cached);
 * members should announce IP literals.
 */
public final class SwimRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SwimRunner.class);
    public static final int DATAGRAMS_PER_WAKEUP_MAX = 256;
    public static final int COMMANDS_MAX = 64;
    private static final int RESOLVED_MAX = 4_096;
    private static final long CLOSE_WAIT_MS = 5_000;

    /** Counts since the runner started. */
    public record Stats(long received, long sent, long unauthenticated, long malformed, long tooLarge,
            long sendsDropped, long listenerFailures, long filtered) {}

    /**
     * A ring epoch carried on every datagram, outside the protocol core (see {@link MembershipCodec}).
     * Both methods are called on the runner's thread and must not block.
     */
    public interface EpochStamp {
        /** The epoch to stamp on what this member sends now; {@link MembershipCodec#NO_EPOCH} for none. */
        long epoch();

        /** A datagram from {@code from} carried {@code epoch}. */
        void heard(InetSocketAddress from, long epoch);
    }

    /**
     * Decides whether a datagram to or from {@code remote} passes; one that does not is lost, as UDP
     * may lose anything. The seam a fault plane plugs into. Called on the runner's thread; must not
     * block.
     */
    @FunctionalInterface
    public interface DatagramFilter {
        DatagramFilter NONE = (inbound, remote) -> true;

        boolean passes(boolean inbound, InetSocketAddress remote);
    }

    private final SwimCore core;
    private final MembershipCodec codec;
    private final MembershipListener listener;
    private final Consumer<MembershipView> views;
    private long viewVersionSeen = -1;
    private volatile MembershipView view;
    private final DatagramChannel channel;
    private final Selector selector;
    private final ByteBuffer receiveBuffer;
    private final BlockingQueue<Runnable> commands = new ArrayBlockingQueue<>(COMMANDS_MAX);
    private final Map<Address, InetSocketAddress> resolved = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Address, InetSocketAddress> eldest) {
            return size() > RESOLVED_MAX;
        }
    };
    private final Thread thread;
    private volatile boolean running = true;
    private volatile List<Endpoint> live = List.of();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong unauthenticated = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong sendsDropped = new AtomicLong();
    private final AtomicLong listenerFailures = new AtomicLong();
    private final AtomicLong filtered = new AtomicLong();
    private volatile EpochStamp stamp;
    private volatile DatagramFilter filter = DatagramFilter.NONE;

    private SwimRunner(SwimConfig config, String id, DatagramChannel channel, Selector selector, byte[] clusterKey,
            MembershipListener listener, Consumer<MembershipView> views, RandomGenerator random) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.listener = listener;
        this.views = views;
        this.codec = new MembershipCodec(clusterKey, config.datagramBytesMax());
        // One byte more than the limit, so that an oversized datagram shows as such instead of fitting.
        this.receiveBuffer = ByteBuffer.allocate(config.datagramBytesMax() + 1);
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        Endpoint self = new Endpoint(id, new Address(local.getAddress().getHostAddress(), local.getPort()));
        this.core = new SwimCore(config, self, random, nowMs());
        this.view = snapshot();
        this.thread = Thread.ofPlatform().name("ringkv-swim-" + id).daemon().unstarted(this::run);
    }

    /**
     * Binds {@code bind} (an IP literal; port 0 for an ephemeral one) and starts the member.
     *
     * @param clusterKey authenticates every datagram when not null (at least 16 bytes)
     * @param random the core's randomness; a seeded one replays a run's choices
     */
    public static SwimRunner start(SwimConfig config, String id, InetSocketAddress bind, byte[] clusterKey,
            MembershipListener listener, RandomGenerator random) throws IOException {
        return start(config, id, bind, clusterKey, listener, view -> {}, random);
    }

    /**
     * As above, and {@code views} is given a new {@link MembershipView} whenever what this member
     * knows changed (on the runner's thread, after the events; it must not block either).
     */
    public static SwimRunner start(SwimConfig config, String id, InetSocketAddress bind, byte[] clusterKey,
            MembershipListener listener, Consumer<MembershipView> views, RandomGenerator random) throws IOException {
        if (bind.isUnresolved() || bind.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("bind a concrete IP address, which is also what the member announces: "
                    + bind);
        }
        DatagramChannel channel = DatagramChannel.open(bind.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        Selector selector = null;
        try {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            channel.bind(bind);
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            SwimRunner runner = new SwimRunner(config, id, channel, selector, clusterKey, listener, views, random);
            runner.thread.start();
            log.info("membership of {} on {}", id, runner.self().address());
            return runner;
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    public Endpoint self() {
        return core.self();
    }

    /** The members believed alive or suspected, this one not included; an immutable snapshot. */
    public List<Endpoint> liveMembers() {
        return live;
    }

    /** The latest snapshot of what this member knows. */
    public MembershipView view() {
        return view;
    }

    /** Also members known by configuration, taken as alive (a static peer list). */
    public void addMembers(List<Endpoint> known) {
        command(() -> emit(core.addMembers(known, nowMs())));
    }

    /** Joins through the given seeds ({@code host:port}; names are resolved here, on the caller's thread). */
    public void join(List<Address> seeds) {
        List<Address> literal = new ArrayList<>(seeds.size());
        for (Address seed : seeds) {
            InetSocketAddress socket = new InetSocketAddress(seed.host(), seed.port());
            if (!socket.isUnresolved()) {
                literal.add(new Address(socket.getAddress().getHostAddress(), seed.port()));
            } else {
                log.warn("seed {} does not resolve; skipped", seed);
            }
        }
        command(() -> emit(core.join(literal, nowMs())));
    }

    /** Pulls every live member's table now ({@link SwimCore#syncWithLive}). */
    public void syncWithLive() {
        command(() -> emit(core.syncWithLive(nowMs())));
    }

    /** Announces that this member leaves; {@link #close} it a period or two later so the news spreads. */
    public void leave() {
        command(() -> emit(core.leave(nowMs())));
    }

    public Stats stats() {
        return new Stats(received.get(), sent.get(), unauthenticated.get(), malformed.get(), tooLarge.get(),
                sendsDropped.get(), listenerFailures.get(), filtered.get());
    }

    /** From now on every datagram sent carries {@code stamp}'s epoch, and every one heard is reported to it. */
    public void stampEpochs(EpochStamp stamp) {
        this.stamp = stamp;
    }

    /** From now on every datagram, either way, passes {@code filter} first. */
    public void filter(DatagramFilter filter) {
        this.filter = filter;
    }

    private void command(Runnable command) {
        if (!commands.offer(command)) {
            throw new IllegalStateException("membership runner busy: " + COMMANDS_MAX + " commands waiting");
        }
        selector.wakeup();
    }

    private void run() {
        try {
            while (running) {
                long waitMs = core.nextTickAtMs() - nowMs();
                if (waitMs > 0) {
                    selector.select(waitMs);
                } else {
                    selector.selectNow();
                }
                selector.selectedKeys().clear();
                for (Runnable command; (command = commands.poll()) != null; ) {
                    command.run();
                }
                receive();
                long now = nowMs();
                if (now >= core.nextTickAtMs()) {
                    emit(core.tick(now));
                }
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                log.error("membership runner of {} stopped", core.self().id(), e);
            }
        }
    }

    private void receive() throws IOException {
        for (int i = 0; i < DATAGRAMS_PER_WAKEUP_MAX; i++) {
            receiveBuffer.clear();
            SocketAddress from = channel.receive(receiveBuffer);
            if (from == null) {
                return;
            }
            received.incrementAndGet();
            InetSocketAddress sender = (InetSocketAddress) from;
            if (!filter.passes(true, sender)) {
                filtered.incrementAndGet();
                continue;
            }
            Decoded decoded = codec.decode(receiveBuffer.array(), 0, receiveBuffer.position());
            switch (decoded) {
                case Decoded.Ok ok -> {
                    EpochStamp epochs = stamp;
                    if (epochs != null && ok.epoch() != MembershipCodec.NO_EPOCH) {
                        try {
                            epochs.heard(sender, ok.epoch());
                        } catch (RuntimeException e) {
                            listenerFailures.incrementAndGet();
                            log.warn("epoch listener failed", e);
                        }
                    }
                    Address address = new Address(sender.getAddress().getHostAddress(), sender.getPort());
                    emit(core.handle(address, ok.message(), nowMs()));
                }
                case Decoded.Rejected rejected -> {
                    switch (rejected.rejection()) {
                        case UNAUTHENTICATED -> unauthenticated.incrementAndGet();
                        case MALFORMED -> malformed.incrementAndGet();
                        case TOO_LARGE -> tooLarge.incrementAndGet();
                    }
                    log.debug("dropped a datagram from {}: {}", from, rejected.reason());
                }
            }
        }
    }

    private void emit(SwimCore.Output output) {
        for (SwimCore.Outgoing outgoing : output.messages()) {
            send(outgoing);
        }
        if (core.viewVersion() == viewVersionSeen) {
            return;
        }
        viewVersionSeen = core.viewVersion();
        live = List.copyOf(core.liveMembers());
        view = snapshot();
        for (MembershipEvent event : output.events()) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                listenerFailures.incrementAndGet();
                log.warn("membership listener failed on {}", event, e);
            }
        }
        try {
            views.accept(view);
        } catch (RuntimeException e) {
            listenerFailures.incrementAndGet();
            log.warn("membership view listener failed", e);
        }
    }

    private MembershipView snapshot() {
        return new MembershipView(core.self(), core.incarnation(), core.members(), core.deathsRefuted(),
                core.deathsHeard(), core.deathIncarnationMax(), core.syncReplies(), core.stalls(), core.lastStallMs());
    }

    private void send(SwimCore.Outgoing outgoing) {
        InetSocketAddress to = resolved.computeIfAbsent(outgoing.to(), a -> new InetSocketAddress(a.host(), a.port()));
        if (to.isUnresolved()) {
            resolved.remove(outgoing.to()); // try again next time
            sendsDropped.incrementAndGet();
            return;
        }
        if (!filter.passes(false, to)) {
            filtered.incrementAndGet();
            return;
        }
        EpochStamp epochs = stamp;
        long epoch = epochs == null ? MembershipCodec.NO_EPOCH : epochs.epoch();
        try {
            if (channel.send(ByteBuffer.wrap(codec.encode(outgoing.message(), epoch)), to) == 0) {
                sendsDropped.incrementAndGet();
            } else {
                sent.incrementAndGet();
            }
        } catch (IOException e) {
            // Unreachable networks and the like: lost, as UDP may lose anything.
            sendsDropped.incrementAndGet();
        }
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    /** Stops the thread and closes the socket, without announcing anything: to others, a crash. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(CLOSE_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            selector.close();
            channel.close();
        } catch (IOException e) {
            log.debug("closing the membership socket", e);
        }
    }
}
