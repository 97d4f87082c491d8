package io.ringkv.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.ringkv.storage.StorageEngine;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The node's meters. Timers for every (command, result) pair are built up front so the hot path
 * does an array lookup, not a registry lookup with tag allocation.
 */
public final class NodeMetrics {
    private static final String UNKNOWN = "unknown";
    private static final int COMMANDS = Command.values().length;
    private static final int RESULTS = ErrorCode.values().length;
    /**
     * Histogram bucket bounds for request latency: fixed and few (14), so a scrape stays small
     * under a 64 MB heap while p50/p99 from histogram_quantile stay within one bucket's error.
     */
    private static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000),
        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5),
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1)
    };

    private final MeterRegistry registry;
    /** Index: command ordinal (or the last slot for unknown) * result count + result ordinal. */
    private final AtomicReferenceArray<Timer> requests;
    private final Counter replayed;
    private final ConcurrentHashMap<String, Counter> discarded = new ConcurrentHashMap<>();

    public NodeMetrics(MeterRegistry registry, StorageEngine storage, ReplyCache replies) {
        this.registry = registry;
        requests = new AtomicReferenceArray<>((COMMANDS + 1) * RESULTS);
        replayed = Counter.builder("ringkv.reply.cache.replays")
                .description("Retried requests answered from the at-most-once reply cache")
                .register(registry);
        FunctionCounter.builder("ringkv.reply.cache.early.evictions", replies, ReplyCache::earlyEvictions)
                .description("Cached replies evicted before their TTL because the cache was full")
                .register(registry);
        Gauge.builder("ringkv.reply.cache.entries", replies, ReplyCache::entries)
                .description("Replies held for at-most-once")
                .register(registry);
        Gauge.builder("ringkv.reply.cache.bytes", replies, ReplyCache::usedBytes)
                .baseUnit("bytes")
                .description("Off-heap bytes used by cached replies")
                .register(registry);
        Gauge.builder("ringkv.storage.keys", storage, StorageEngine::keys)
                .description("Live keys stored on this node")
                .register(registry);
        Gauge.builder("ringkv.storage.bytes", storage, StorageEngine::bytes)
                .baseUnit("bytes")
                .description("Bytes of live data in the storage engine's accounting")
                .register(registry);
        Gauge.builder("ringkv.storage.bytes.max", storage, StorageEngine::bytesMax)
                .baseUnit("bytes")
                .description("Storage budget; writes past it answer OUT_OF_SPACE")
                .register(registry);
        // Registered up front so that dashboards show zeros instead of missing series.
        for (String reason : new String[] {"malformed", "checksum", "oversized", "bad-frame", "retry-inflight"}) {
            discardCounter(reason);
        }
    }

    void completed(Command command, ErrorCode code, long startNanos) {
        int c = command == null ? COMMANDS : command.ordinal();
        ErrorCode result = code == null ? ErrorCode.INTERNAL_FAILURE : code;
        int slot = c * RESULTS + result.ordinal();
        Timer timer = requests.get(slot);
        if (timer == null) {
            // Registered on first use: most (command, result) pairs never happen, and each timer
            // costs a histogram in every scrape. A racing registration returns the same meter.
            timer = latencyTimer(registry, "ringkv.requests",
                    "Requests handled, by command and result, from receipt to reply",
                    command == null ? UNKNOWN : command.name().toLowerCase(), result.name().toLowerCase());
            requests.set(slot, timer);
        }
        timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    /** A latency histogram tagged by command and result, with the node's fixed buckets. */
    static Timer latencyTimer(MeterRegistry registry, String name, String description, String command, String result) {
        return Timer.builder(name)
                .description(description)
                .tag("command", command)
                .tag("result", result)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
    }

    void replayed() {
        replayed.increment();
    }

    /** A packet dropped without a reply, by reason. */
    void discarded(String reason) {
        discardCounter(reason).increment();
    }

    private Counter discardCounter(String reason) {
        return discarded.computeIfAbsent(reason, r -> Counter.builder("ringkv.discarded")
                .description("Datagrams and frames dropped without a reply, by reason")
                .tag("reason", r)
                .register(registry));
    }
}
