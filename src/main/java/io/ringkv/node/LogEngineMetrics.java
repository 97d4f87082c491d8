package io.ringkv.node;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.ringkv.storage.log.LogEngine;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The log engine's meters. Latency and batch sizes are pushed through the listeners in its config
 * by whoever appends (the writer thread, or a caller appending on its own thread); everything else
 * is read from {@link LogEngine#stats()} at scrape time, from one snapshot shared by all meters of
 * a scrape.
 */
final class LogEngineMetrics {
    /** Opens the engine; a seam so that binding listeners needs no engine yet. */
    @FunctionalInterface
    interface Opener {
        LogEngine open(LogEngine.Config config) throws IOException;
    }

    /** One stats snapshot serves every gauge read within this window. */
    private static final long SNAPSHOT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final LogEngine engine;
    private volatile LogEngine.Stats snapshot;
    private volatile long snapshotAtNanos;

    private LogEngineMetrics(LogEngine engine) {
        this.engine = engine;
    }

    static LogEngine bind(MeterRegistry registry, Opener opener, LogEngine.Config.Builder config) throws IOException {
        Timer fsync = Timer.builder("ringkv.storage.fsync")
                .description("fsync latency of the log's group commits")
                .serviceLevelObjectives(Duration.ofNanos(100_000), Duration.ofNanos(250_000),
                        Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
                        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
                        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofSeconds(1))
                .register(registry);
        DistributionSummary batch = DistributionSummary.builder("ringkv.storage.commit.batch")
                .description("Writes covered by one group commit")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
                .register(registry);
        LogEngine engine = opener.open(config
                .fsyncNanosListener(nanos -> fsync.record(nanos, TimeUnit.NANOSECONDS))
                .batchSizeListener(batch::record)
                .build());
        new LogEngineMetrics(engine).register(registry);
        return engine;
    }

    private LogEngine.Stats stats() {
        long now = System.nanoTime();
        LogEngine.Stats current = snapshot;
        if (current == null || now - snapshotAtNanos > SNAPSHOT_NANOS) {
            current = engine.stats();
            snapshot = current;
            snapshotAtNanos = now;
        }
        return current;
    }

    private void register(MeterRegistry registry) {
        gauge(registry, "ringkv.storage.log.live", "bytes", "Bytes of live records in the log", s -> s.liveBytes());
        gauge(registry, "ringkv.storage.log.dead", "bytes", "Bytes of overwritten or removed records, reclaimable by merge",
                s -> s.deadBytes());
        gauge(registry, "ringkv.storage.log.segments", null, "Segment files", s -> s.segments());
        gauge(registry, "ringkv.storage.log.keydir", "bytes", "Off-heap bytes of the keydir", s -> s.keydirOffHeapBytes());
        gauge(registry, "ringkv.storage.log.write.queue", "bytes", "Bytes of writes waiting for the writer",
                s -> s.writeQueueBytes());
        counter(registry, "ringkv.storage.log.merges", null, "Merges completed", s -> s.merges());
        counter(registry, "ringkv.storage.log.merge.reclaimed", "bytes", "Bytes given back by merges",
                s -> s.mergeBytesReclaimed());
        counter(registry, "ringkv.storage.log.corrupt.records", null,
                "Corrupt records found and skipped during recovery", s -> s.corruptRecords());
        counter(registry, "ringkv.storage.log.bad.hints", null, "Hint files found invalid (the data file was scanned)",
                s -> s.badHints());
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<LogEngine.Stats> value) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.stats()))
                // Meters hold their state weakly; nothing else references this object, so the
                // gauges keep it alive (and with it the counters' state) for the registry's life.
                .strongReference(true)
                .baseUnit(unit)
                .description(description)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<LogEngine.Stats> value) {
        FunctionCounter.builder(name, this, m -> value.applyAsDouble(m.stats()))
                .baseUnit(unit)
                .description(description)
                .register(registry);
    }
}
