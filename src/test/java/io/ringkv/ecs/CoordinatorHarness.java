package io.ringkv.ecs;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator against fake nodes and a fake launcher, on a manual clock and a manual executor:
 * operations (ring changes and failovers alike) run when the test says so, waits advance the clock
 * instead of sleeping, and {@link #duringPause} runs inside every wait, which is how a test makes
 * something happen while an operation runs. Boots with three nodes.
 */
abstract class CoordinatorHarness {
    static final int VNODES = 16;
    static final URI ECS = URI.create("http://127.0.0.1:43000");
    static final Duration FAILURE_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    final FakeNodes nodes = new FakeNodes();
    final FakeLauncher launcher = new FakeLauncher(nodes);
    final Queue<Runnable> queued = new ArrayDeque<>();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    final InstantSource clock = () -> now;
    /** Runs inside every wait of an operation, after the clock advanced. */
    Runnable duringPause = () -> {};
    final Pacer pacer = d -> {
        now = now.plus(d);
        duringPause.run();
    };
    /** Failures the coordinator told its listener of. */
    final List<Detection.Cause> detected = new ArrayList<>();
    Coordinator coordinator;

    @BeforeEach
    void boot() {
        coordinator = newCoordinator();
        coordinator.start(ECS);
        runQueued();
    }

    Coordinator newCoordinator() {
        return newCoordinator(dir, nodes, launcher);
    }

    /**
     * Copies per key. One by default, so that the plans the tests check are the ring's ownership
     * changes; a test of rings that must keep the factor uses more.
     */
    int replicationFactor() {
        return 1;
    }

    /** Every member, unless a test says otherwise. */
    int ringPushFanout() {
        return 0;
    }

    Coordinator newCoordinator(Path stateDir, FakeNodes fakeNodes, FakeLauncher fakeLauncher) {
        var settings = new Coordinator.Settings(VNODES, 3, 8, Duration.ofMinutes(1), Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(2), FAILURE_TIMEOUT,
                replicationFactor(), ringPushFanout());
        return new Coordinator(settings, new StateStore(stateDir), fakeNodes, fakeLauncher, clock, pacer, queued::add,
                queued::add, new Coordinator.OperationListener() {
                    @Override
                    public void finished(OperationView operation) {}

                    @Override
                    public void detected(Detection.Cause cause) {
                        detected.add(cause);
                    }
                });
    }

    void runQueued() {
        while (!queued.isEmpty()) {
            queued.poll().run();
        }
    }

    OperationView finished(OperationView op) {
        runQueued();
        return coordinator.operation(op.id()).orElseThrow();
    }
}
