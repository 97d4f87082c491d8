package io.ringkv.node;

import io.ringkv.storage.StorageEngine;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** DOWN when the engine refuses writes (readiness), with the reason; fill level as details. */
final class StorageHealthIndicator implements HealthIndicator {
    private final StorageEngine storage;

    StorageHealthIndicator(StorageEngine storage) {
        this.storage = storage;
    }

    @Override
    public Health health() {
        String failure = storage.writeFailure();
        Health.Builder builder = failure == null ? Health.up() : Health.down().withDetail("reason", failure);
        return builder
                .withDetail("engine", storage.name())
                .withDetail("keys", storage.keys())
                .withDetail("bytes", storage.bytes())
                .withDetail("bytesMax", storage.bytesMax())
                .build();
    }
}
