package io.ringkv.ecs.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.ringkv.ecs.Coordinator;
import io.ringkv.ecs.Detection;
import io.ringkv.ecs.OperationView;

/** The ECS's meters: cluster size, live members, ring epoch, operations by result, failovers, data moved. */
final class EcsMetrics implements Coordinator.OperationListener {
    private final MeterRegistry registry;
    private final Counter keysMoved;
    private final Counter bytesMoved;

    EcsMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.keysMoved = Counter.builder("ringkv.ecs.moved.keys").description("keys handed off by finished operations")
                .register(registry);
        this.bytesMoved = Counter.builder("ringkv.ecs.moved.bytes").baseUnit("bytes")
                .description("bytes handed off by finished operations").register(registry);
    }

    void bind(Coordinator coordinator) {
        Gauge.builder("ringkv.ecs.cluster.nodes", coordinator, c -> c.cluster().nodes().size())
                .description("nodes the ECS knows, in the ring or joining").register(registry);
        Gauge.builder("ringkv.ecs.ring.members", coordinator, c -> c.ring().members().size())
                .description("members of the ring").register(registry);
        Gauge.builder("ringkv.ecs.ring.epoch", coordinator, c -> c.ring().epoch())
                .description("epoch of the ring the ECS publishes").register(registry);
        Gauge.builder("ringkv.ecs.nodes.live", coordinator, Coordinator::liveMembers)
                .description("ring members heard from within ringkv.ecs.failure-timeout").register(registry);
        for (Detection.Cause cause : Detection.Cause.values()) {
            failovers(cause); // present at 0 from the start, so that rate() and alerts see the series
        }
    }

    @Override
    public void detected(Detection.Cause cause) {
        failovers(cause).increment();
    }

    private Counter failovers(Detection.Cause cause) {
        return Counter.builder("ringkv.ecs.failovers")
                .description("members the failure detector acted on: FAILED (a ring without it), CUT_OFF"
                        + " (the same, found dead by a majority's gossip) or RESTARTED (the same members under a new"
                        + " epoch)")
                .tag("cause", cause.name()).register(registry);
    }

    @Override
    public void finished(OperationView operation) {
        Counter.builder("ringkv.ecs.operations").description("finished operations by kind and result")
                .tag("kind", operation.kind().name()).tag("result", operation.state().name())
                .register(registry).increment();
        keysMoved.increment(operation.keysMoved());
        bytesMoved.increment(operation.bytesMoved());
    }
}
