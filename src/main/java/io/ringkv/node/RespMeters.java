package io.ringkv.node;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.ringkv.resp.RespCommand;
import io.ringkv.resp.RespMetrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Meters of the RESP listener: {@code ringkv_resp_commands_seconds{command,result}} by RESP
 * command name (not the UDP protocol's, since one MSET runs many PUTs) and result {@code ok} or
 * {@code error}, with the latency buckets of {@code ringkv_requests_seconds}; and
 * {@code ringkv_resp_rejected_total{reason}} for connections closed or refused by the listener.
 * Timers are looked up in an array, registered on first use.
 */
final class RespMeters implements RespMetrics {
    private static final int COMMANDS = RespCommand.values().length;

    private final MeterRegistry registry;
    /** Index: (command ordinal, or COMMANDS for unknown) * 2 + (error ? 1 : 0). */
    private final AtomicReferenceArray<Timer> timers = new AtomicReferenceArray<>((COMMANDS + 1) * 2);
    private final ConcurrentHashMap<String, Counter> rejected = new ConcurrentHashMap<>();

    RespMeters(MeterRegistry registry) {
        this.registry = registry;
        rejectedCounter("malformed");
        rejectedCounter("connections-max");
    }

    @Override
    public void completed(RespCommand command, boolean error, long startNanos) {
        int slot = (command == null ? COMMANDS : command.ordinal()) * 2 + (error ? 1 : 0);
        Timer timer = timers.get(slot);
        if (timer == null) {
            timer = NodeMetrics.latencyTimer(registry, "ringkv.resp.commands",
                    "RESP commands executed, by command and result, from receipt to completion",
                    command == null ? "unknown" : command.lowerName(), error ? "error" : "ok");
            timers.set(slot, timer);
        }
        timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void rejected(String reason) {
        rejectedCounter(reason).increment();
    }

    private Counter rejectedCounter(String reason) {
        return rejected.computeIfAbsent(reason, r -> Counter.builder("ringkv.resp.rejected")
                .description("RESP connections closed for a protocol error or refused at the connection limit")
                .tag("reason", r)
                .register(registry));
    }
}
