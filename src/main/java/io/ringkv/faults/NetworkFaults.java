package io.ringkv.faults;

import io.ringkv.cluster.Peers;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import io.ringkv.membership.SwimRunner;
import io.ringkv.transport.ChannelHook;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network-fault switch of one node: the armed plan, the seeded randomness that applies it, the
 * counters of what it did, and the bound on what the decorators may hold back. The decorators
 * ({@link FaultyChannelHandler} around the UDP and TCP listeners, {@link FaultyPeers} around the
 * links to other nodes) ask {@link #decide} about every message and carry out the answer.
 *
 * <p>How a plan applies: a message matched by any {@code cut} rule is cut; otherwise the first
 * matching rule (in the order given) decides, so specific rules go before general ones; a message
 * no rule matches passes untouched. Draws come from one {@link Random} seeded by the plan, so the
 * same seed and the same sequence of messages give the same fates; with several event loops the
 * interleaving, and so the sequence, may differ from run to run.
 *
 * <p>Thread-safe: the plan is one volatile field, the counters are adders, the bound an atomic.
 */
public final class NetworkFaults implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkFaults.class);
    /** Rules in one plan: enough for any drill, few enough that matching stays a short loop. */
    public static final int RULES_MAX = 32;
    /** How long a held message waits for a later one to overtake it before it goes anyway. */
    public static final long REORDER_HOLD_MS = 50;
    /**
     * Bytes of delayed and held messages, all decorators together. Datagrams and frames wait in
     * buffers of the node's -Xmx64m budget; beyond this they are dropped and counted as overflowed.
     */
    public static final long HELD_BYTES_MAX = 8L << 20;
    /** Charged per waiting message on top of its bytes, so that empty messages are bounded too. */
    static final int MESSAGE_OVERHEAD_BYTES = 64;

    /** The rules in force and where their randomness comes from; {@code seed} is null when none are. */
    public record Plan(List<NetworkRule> rules, Long seed) {
        static final Plan NONE = new Plan(List.of(), null);
    }

    /**
     * What the faults did since start (never reset, so that a test can see them stop growing).
     * {@code overflowed} counts messages that were to be delayed or held (and are counted there too)
     * but were dropped because {@link #HELD_BYTES_MAX} was reached.
     */
    public record Counters(long dropped, long duplicated, long delayed, long reordered, long cut, long overflowed) {}

    private record Armed(Plan plan, Random random) {}

    private volatile Armed armed = new Armed(Plan.NONE, null);
    private final LongAdder dropped = new LongAdder();
    private final LongAdder duplicated = new LongAdder();
    private final LongAdder delayed = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final LongAdder cut = new LongAdder();
    private final LongAdder overflowed = new LongAdder();
    private final AtomicLong heldBytes = new AtomicLong();
    private final long heldBytesMax;
    private final Delayer delayer;

    /** With its own delayer thread (started on first use) and the default bound. */
    public NetworkFaults() {
        this(new Delayer.Threaded("ringkv-faults"), HELD_BYTES_MAX);
    }

    public NetworkFaults(Delayer delayer, long heldBytesMax) {
        this.delayer = delayer;
        this.heldBytesMax = heldBytesMax;
    }

    /** A seed for a plan whose author gave none; it is logged and shown, so the run can be replayed. */
    public static long newSeed() {
        return ThreadLocalRandom.current().nextLong();
    }

    /** Replaces the plan; an empty list heals the network. */
    public void arm(List<NetworkRule> rules, long seed) {
        if (rules.size() > RULES_MAX) {
            throw new IllegalArgumentException(rules.size() + " network rules; at most " + RULES_MAX);
        }
        if (rules.isEmpty()) {
            heal();
            return;
        }
        armed = new Armed(new Plan(List.copyOf(rules), seed), new Random(seed));
        log.warn("network faults armed with seed {} (replay with \"seed\":{}): {}", seed, seed,
                rules.stream().map(NetworkRuleJson::format).toList());
    }

    /** Removes every rule: from now on every message passes. Messages already delayed still arrive. */
    public void heal() {
        if (!armed.plan().rules().isEmpty()) {
            log.warn("network faults healed");
        }
        armed = new Armed(Plan.NONE, null);
    }

    public Plan plan() {
        return armed.plan();
    }

    public Counters counters() {
        return new Counters(dropped.sum(), duplicated.sum(), delayed.sum(), reordered.sum(), cut.sum(),
                overflowed.sum());
    }

    /** The fate of one message of {@code protocol} travelling {@code way} to or from {@code remote}. */
    public Fate decide(Protocol protocol, Direction way, InetSocketAddress remote) {
        Armed now = armed;
        NetworkRule chosen = null;
        for (NetworkRule rule : now.plan().rules()) {
            if (rule.matches(protocol, way, remote)) {
                if (rule.cut()) {
                    cut.increment();
                    return Fate.CUT;
                }
                if (chosen == null) {
                    chosen = rule;
                }
            }
        }
        return chosen == null ? Fate.PASS : apply(chosen, now.random());
    }

    /** Whether a TCP connection with {@code remote} must be closed or refused; counts it if so. */
    public boolean cuts(Protocol protocol, InetSocketAddress remote) {
        for (NetworkRule rule : armed.plan().rules()) {
            if (rule.cuts(protocol, remote)) {
                cut.increment();
                return true;
            }
        }
        return false;
    }

    private Fate apply(NetworkRule rule, Random random) {
        if (chance(random, rule.dropPercent())) {
            dropped.increment();
            return Fate.DROP;
        }
        int copies = chance(random, rule.duplicatePercent()) ? 2 : 1;
        boolean hold = rule.reorder() && random.nextBoolean();
        // A held message waits for the one that overtakes it instead of for its delay.
        long delayMs = hold ? 0 : rule.delayMs() + (rule.jitterMs() > 0 ? random.nextInt(rule.jitterMs() + 1) : 0);
        if (copies == 2) {
            duplicated.increment();
        }
        if (delayMs > 0) {
            delayed.increment();
        }
        if (hold) {
            reordered.increment();
        }
        return copies == 1 && delayMs == 0 && !hold ? Fate.PASS : new Fate.Deliver(copies, delayMs, hold);
    }

    private static boolean chance(Random random, double percent) {
        return percent > 0 && random.nextDouble() * 100 < percent;
    }

    /**
     * Claims room for a message of {@code bytes} that is about to wait (delayed or held). False, and
     * counted as overflowed, when the bound is reached: the caller then drops the message.
     */
    boolean reserve(int bytes) {
        long charge = (long) bytes + MESSAGE_OVERHEAD_BYTES;
        if (heldBytes.addAndGet(charge) > heldBytesMax) {
            heldBytes.addAndGet(-charge);
            overflowed();
            return false;
        }
        return true;
    }

    /** Counts a message dropped because a decorator's own bound on waiting messages was reached. */
    void overflowed() {
        overflowed.increment();
    }

    /** Gives back what {@link #reserve} claimed, once the message is delivered or released. */
    void release(int bytes) {
        heldBytes.addAndGet(-((long) bytes + MESSAGE_OVERHEAD_BYTES));
    }

    /** Bytes now waiting, overhead included; for tests. */
    long heldBytes() {
        return heldBytes.get();
    }

    Delayer delayer() {
        return delayer;
    }

    /** The hook that puts this plan between a listener's framing and its request handling. */
    public ChannelHook channelHook(Protocol protocol) {
        if (protocol == Protocol.ALL) {
            throw new IllegalArgumentException("a listener is UDP or TCP");
        }
        return () -> new FaultyChannelHandler(this, protocol);
    }

    /** {@code links} behind this plan; {@code replyTimeoutMs} is how long a lost exchange takes to fail. */
    public Peers wrap(Peers links, long replyTimeoutMs) {
        return new FaultyPeers(links, this, replyTimeoutMs);
    }

    /**
     * This plan as a filter for the membership protocol's socket, whose port is a member's data port
     * plus {@code gossipPortOffset}: a datagram's remote address is mapped back to that member's
     * data address, which is what rules name, and is judged as UDP. Cut and drop apply; delay,
     * duplication and reordering do not (the membership protocol tolerates all three by design,
     * and its runner has no timer to carry them out).
     */
    public SwimRunner.DatagramFilter gossipFilter(int gossipPortOffset) {
        return (inbound, remote) -> {
            int port = remote.getPort() - gossipPortOffset;
            InetSocketAddress member = port > 0 ? new InetSocketAddress(remote.getAddress(), port) : remote;
            Fate fate = decide(Protocol.UDP, inbound ? Direction.INBOUND : Direction.OUTBOUND, member);
            return !(fate instanceof Fate.Cut || fate instanceof Fate.Drop);
        };
    }

    /** The host and port an HTTP call to {@code uri} connects to, as rules name peers. */
    public static InetSocketAddress addressOf(URI uri) {
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return new InetSocketAddress(uri.getHost(), port);
    }

    /**
     * {@code http} behind this plan, for a node's calls to its ECS. Those calls are few and bounded by
     * their caller (a heartbeat or two and a pull in flight), so their waits are not charged to
     * {@link #HELD_BYTES_MAX}.
     */
    public HttpClient wrap(HttpClient http) {
        return new FaultyHttpClient(http, this);
    }

    @Override
    public void close() {
        if (delayer instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("cannot close the fault delayer", e);
            }
        }
    }
}
