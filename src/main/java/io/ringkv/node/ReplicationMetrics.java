package io.ringkv.node;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.ringkv.replication.RangeSync;
import io.ringkv.replication.Replicator;

/** Replication's meters, read from the replicator and the range sync when scraped. */
final class ReplicationMetrics {
    private ReplicationMetrics() {}

    static void bind(MeterRegistry registry, Replicator replicator, RangeSync sync) {
        FunctionCounter.builder("ringkv.replication.writes.unknown", replicator, Replicator::writesUnknown)
                .description("Writes (and pushes) that not every backup acknowledged: outcome unknown to the client")
                .register(registry);
        Gauge.builder("ringkv.replication.suspect.keys", replicator, Replicator::suspectKeys)
                .description("Keys whose state may be on some replicas only; their next read pushes first")
                .register(registry);
        FunctionCounter.builder("ringkv.repair.keys.pushed", sync, RangeSync::keysPushedTotal)
                .description("Keys pushed to replicas by range syncs (repair)")
                .register(registry);
        Gauge.builder("ringkv.repair.ranges.remaining", sync, RangeSync::rangesRemaining)
                .description("Ranges of the running sync not yet in step on every replica")
                .register(registry);
    }
}
