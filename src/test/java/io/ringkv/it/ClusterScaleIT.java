package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Issue 5's acceptance scenario on real JVMs: an ECS with 3 nodes and 10,000 keys; 2 nodes are added
 * while 4 clients keep writing and reading with verification, then the cluster is scaled back to 3.
 * Clients talk UDP to any UP node (owner or not), through the real client library. Afterwards every
 * key holds its last acknowledged value via every node, no read during the moves was wrong, and
 * every key is kept on exactly RF = 3 nodes after each change (replication, design §5).
 */
class ClusterScaleIT {
    private static final int KEYS = 10_000;
    private static final int CLIENTS = 4;
    /** The ECS's default ringkv.replication.factor. */
    private static final int REPLICATION_FACTOR = 3;
    private static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(5);

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void twoNodesJoinAndLeaveUnderVerifiedLoad() throws Exception {
        long seed = TestSeeds.seed();
        try (EcsProcess ecs = EcsProcess.start(3)) {
            JsonNode cluster = ecs.awaitCluster("3 UP nodes, boot finished", OPERATION_TIMEOUT,
                    c -> EcsProcess.upNodes(c).size() == 3 && c.path("epoch").asLong() >= 1
                            && c.path("operation").isNull());
            long startEpoch = cluster.path("epoch").asLong();
            // Clients pick entry nodes among those UP, refreshed as the cluster changes.
            try (EcsProcess.UpNodes entries = ecs.watchUpNodes(cluster);
                    ClusterWorkload clients = new ClusterWorkload(KEYS, CLIENTS, seed, entries)) {
                long loadStart = System.nanoTime();
                clients.load();
                System.out.printf("ClusterScaleIT (seed %d): loaded %d keys in %d ms%n", seed, KEYS,
                        (System.nanoTime() - loadStart) / 1_000_000);
                clients.start();

                JsonNode added = changeRing(ecs, "/api/v1/nodes", "{\"count\":2}");
                JsonNode five = ecs.cluster();
                assertThat(EcsProcess.upNodes(five)).hasSize(5);
                String afterAdd = clients.summary();
                // Quiesce to count copies: each key on exactly RF of the 5 nodes.
                clients.stop();
                assertThat(clients.verifyAll(EcsProcess.upNodes(five).getFirst())).isZero();
                awaitCopies(ecs, five, clients.lastPresent.get());
                clients.start();

                JsonNode shrunk = changeRing(ecs, "/api/v1/scale", "{\"nodes\":3}");
                JsonNode three = ecs.cluster();
                assertThat(EcsProcess.upNodes(three)).hasSize(3);
                assertThat(three.path("epoch").asLong()).isGreaterThan(startEpoch + 1);

                NodeProcess.sleep(Duration.ofSeconds(1));
                clients.stop();
                System.out.printf("ClusterScaleIT (seed %d): after the add (%d keys, %d bytes moved): %s%n", seed,
                        added.path("keysMoved").asLong(), added.path("bytesMoved").asLong(), afterAdd);
                System.out.printf("ClusterScaleIT (seed %d): after the shrink (%d keys, %d bytes moved): %s%n", seed,
                        shrunk.path("keysMoved").asLong(), shrunk.path("bytesMoved").asLong(), clients.summary());

                assertThat(clients.wrongReads.get()).as("wrong reads during the moves (seed %d): %s", seed,
                        clients.wrongReadReports()).isZero();
                for (InetSocketAddress node : EcsProcess.upNodes(three)) {
                    assertThat(clients.verifyAll(node)).as("keys not at their last acknowledged state via %s "
                            + "(seed %d): %s", node, seed, clients.wrongReadReports()).isZero();
                }
                awaitCopies(ecs, three, clients.lastPresent.get());
                System.out.printf("ClusterScaleIT (seed %d): final check of %d keys via each of 3 nodes: 0 wrong%n",
                        seed, KEYS);
            }
        }
    }

    /**
     * Every present key is kept on exactly {@link #REPLICATION_FACTOR} nodes once the nodes that
     * lost ranges have dropped them: the stored keys of all nodes sum to RF × present.
     */
    private static void awaitCopies(EcsProcess ecs, JsonNode cluster, long present) {
        long want = REPLICATION_FACTOR * present;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long stored = ecs.storedKeys(cluster);
        while (stored != want && System.nanoTime() < deadline) {
            NodeProcess.sleep(Duration.ofMillis(500));
            stored = ecs.storedKeys(cluster);
        }
        assertThat(stored).as("copies of %d present keys on %s (RF %d)", present, ecs.nodeStatuses(cluster).keySet(),
                REPLICATION_FACTOR).isEqualTo(want);
    }

    /** POSTs a ring change and waits for it: it must succeed at 100% having moved keys. */
    private static JsonNode changeRing(EcsProcess ecs, String path, String body) {
        JsonNode op = ecs.awaitOperation(ecs.startOperation("POST", path, body), OPERATION_TIMEOUT);
        assertThat(op.path("state").asString()).as(op.toString()).isEqualTo("SUCCEEDED");
        assertThat(op.path("keysMoved").asLong()).as("keys streamed by %s %s", path, body).isPositive();
        assertThat(op.path("percent").asInt()).isEqualTo(100);
        return op;
    }
}
