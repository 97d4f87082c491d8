package io.ringkv.ecs.api;

import io.ringkv.ecs.Coordinator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN when the ECS cannot persist its state (the directory is not writable, or the last save
 * failed): it must not change the ring then, because a restart would forget the change.
 */
final class EcsHealthIndicator implements HealthIndicator {
    private final Coordinator coordinator;

    EcsHealthIndicator(Coordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public Health health() {
        var store = coordinator.store();
        String failure = store.lastFailure();
        boolean writable = store.writable();
        Health.Builder builder = failure == null && writable ? Health.up() : Health.down();
        if (failure != null) {
            builder.withDetail("lastSaveFailure", failure);
        }
        var cluster = coordinator.cluster();
        return builder
                .withDetail("stateFile", store.file().toAbsolutePath().toString())
                .withDetail("writable", writable)
                .withDetail("epoch", cluster.epoch())
                .withDetail("nodes", cluster.nodes().size())
                .build();
    }
}
