package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * Issue 6's durability scenario on real JVMs: 5 nodes keep every key on RF of them; RF−1 nodes are
 * {@code kill -9}'d together while clients write and read with verification. The ECS detects the
 * failures, publishes a ring without them and repairs; afterwards every key holds its last
 * acknowledged value through every live node and is kept on min(RF, live) of them. With RF 3 one
 * more node is killed after the repair, and then the killed nodes are restarted, one with an empty
 * disk and the others with their data: they rejoin and are caught up.
 */
class ReplicationIT {
    private static final int NODES = 5;
    private static final int KEYS = 3_000;
    private static final int CLIENTS = 3;
    private static final String FAILURE_TIMEOUT = "2s";
    /** Kill → ring without the node: the failure timeout, a tick, and a busy box's slack. */
    private static final Duration DETECTION_BOUND = Duration.ofSeconds(30);
    private static final Duration REPAIR_BOUND = Duration.ofMinutes(3);

    @ParameterizedTest(name = "RF {0}")
    @CsvSource({"3", "4"})
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void rfMinusOneNodesDieUnderLoadAndNoAcknowledgedWriteIsLost(int rf) throws Exception {
        long seed = TestSeeds.seed();
        try (EcsProcess ecs = EcsProcess.start(NODES, "--ringkv.replication.factor=" + rf,
                "--ringkv.ecs.failure-timeout=" + FAILURE_TIMEOUT)) {
            JsonNode cluster = ecs.awaitCluster(NODES + " UP nodes", EcsProcess.READY_TIMEOUT,
                    c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
            // Clients pick entry nodes among those UP, refreshed as the cluster changes.
            try (EcsProcess.UpNodes entries = ecs.watchUpNodes(cluster);
                    ClusterWorkload clients = new ClusterWorkload(KEYS, CLIENTS, seed, entries)) {
                clients.load();
                clients.start();
                NodeProcess.sleep(Duration.ofSeconds(2));

                List<EcsProcess.LaunchedNode> victims = new ArrayList<>();
                for (int i = 1; i < rf; i++) {
                    victims.add(ecs.launched("node-" + i));
                }
                long detection = killAndAwaitFailover(ecs, victims, NODES - victims.size());
                System.out.printf("ReplicationIT RF %d (seed %d): %d nodes killed, ring without them after %d ms%n",
                        rf, seed, victims.size(), detection);
                NodeProcess.sleep(Duration.ofSeconds(2));
                clients.stop();
                verifyEverywhere(ecs, clients, rf, "after killing " + victims.size());

                if (rf == 3) {
                    clients.start();
                    EcsProcess.LaunchedNode third = ecs.launched("node-" + rf);
                    long again = killAndAwaitFailover(ecs, List.of(third), NODES - victims.size() - 1);
                    System.out.printf("ReplicationIT RF %d (seed %d): one more killed after repair, ring after %d ms%n",
                            rf, seed, again);
                    NodeProcess.sleep(Duration.ofSeconds(2));
                    clients.stop();
                    verifyEverywhere(ecs, clients, rf, "after killing one more");
                    victims.add(third);
                }

                clients.start();
                // The first comes back with an empty disk (a replaced one); the others with their data.
                EcsProcess.wipeNodeData(victims.getFirst());
                for (EcsProcess.LaunchedNode victim : victims) {
                    ecs.restartNode(victim);
                }
                ecs.awaitCluster("the restarted nodes back in the ring", REPAIR_BOUND,
                        c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
                awaitRepairs(ecs);
                NodeProcess.sleep(Duration.ofSeconds(2));
                clients.stop();
                verifyEverywhere(ecs, clients, rf, "after the restarts");
                System.out.printf("ReplicationIT RF %d (seed %d): %s%n", rf, seed, clients.summary());
                assertThat(clients.wrongReads.get()).as("wrong reads (seed %d): %s", seed, clients.wrongReadReports())
                        .isZero();
            }
        }
    }

    /** kill -9 the nodes together; returns ms until the ECS shows a ring with {@code live} UP members. */
    private static long killAndAwaitFailover(EcsProcess ecs, List<EcsProcess.LaunchedNode> victims, int live) {
        long epochBefore = ecs.cluster().path("epoch").asLong();
        long start = System.nanoTime();
        for (EcsProcess.LaunchedNode victim : victims) {
            EcsProcess.killNode(victim);
        }
        ecs.awaitCluster("a ring without " + victims.stream().map(EcsProcess.LaunchedNode::id).toList(),
                DETECTION_BOUND, c -> c.path("epoch").asLong() > epochBefore && EcsProcess.upNodes(c).size() == live
                        && victims.stream().noneMatch(v -> inRing(c, v.id())));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        awaitRepairs(ecs);
        return ms;
    }

    private static boolean inRing(JsonNode cluster, String id) {
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("id").asString().equals(id) && node.path("status").asString().equals("UP")) {
                return true;
            }
        }
        return false;
    }

    /** Waits until every UP node's range sync is DONE for the ring the ECS shows. */
    static void awaitRepairs(EcsProcess ecs) {
        long deadline = System.nanoTime() + REPAIR_BOUND.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            JsonNode cluster = ecs.cluster();
            long epoch = cluster.path("epoch").asLong();
            var repairs = ecs.nodeRepairs(cluster);
            last = repairs.toString();
            if (repairs.values().stream().allMatch(r -> r.path("state").asString().matches("DONE|IDLE")
                    && r.path("epoch").asLong() <= epoch) && cluster.path("operation").isNull()) {
                return;
            }
            NodeProcess.sleep(Duration.ofMillis(500));
        }
        throw new AssertionError("repair unfinished after " + REPAIR_BOUND + ": " + last);
    }

    /** Every key at its last acknowledged state through every live node, on min(RF, live) of them. */
    static void verifyEverywhere(EcsProcess ecs, ClusterWorkload clients, int rf, String when) {
        JsonNode cluster = ecs.cluster();
        List<InetSocketAddress> up = EcsProcess.upNodes(cluster);
        for (InetSocketAddress node : up) {
            assertThat(clients.verifyAll(node)).as("keys not at their last acknowledged state via %s %s: %s", node,
                    when, clients.wrongReadReports()).isZero();
        }
        long copies = (long) Math.min(rf, up.size()) * clients.lastPresent.get();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long stored = ecs.storedKeys(cluster);
        while (stored != copies && System.nanoTime() < deadline) {
            NodeProcess.sleep(Duration.ofMillis(500));
            stored = ecs.storedKeys(cluster);
        }
        assertThat(stored).as("copies of %d present keys %s", clients.lastPresent.get(), when).isEqualTo(copies);
    }
}
