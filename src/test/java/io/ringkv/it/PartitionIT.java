package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Issue 6's partition, on real JVMs: 5 nodes keep 3 copies of every key, and one of them (the
 * primary of about a fifth of the keys, a backup of more) is cut off from the other four and from
 * the ECS, while clients keep writing and reading with verification: half of them through every
 * node, the isolated one included, the other half through the majority's nodes only. The cut is
 * the nodes' own fault plane: the isolated node cuts everything (data plane and gossip) to and from
 * its peers and TCP to the ECS (and refuses the ECS's calls), the others cut everything to and from
 * it; clients reach all five.
 *
 * <p>The minority side must acknowledge nothing: no write sent to the isolated node after the cut
 * is answered before the heal, since every write needs all of its replicas and the isolated node
 * reaches none (and its lease runs out before the ECS moves its keys). The majority side fails it
 * over, repairs, and keeps acknowledging. After the heal the isolated node is re-admitted and
 * caught up, and every key holds its last acknowledged value through every node, on 3 of them.
 */
class PartitionIT {
    private static final int NODES = 5;
    private static final int RF = 3;
    private static final int KEYS = 2_000;
    private static final int CLIENTS = 4;
    private static final String FAILURE_TIMEOUT = "2s";
    private static final Duration DETECTION_BOUND = Duration.ofSeconds(30);
    private static final Duration REJOIN_BOUND = Duration.ofMinutes(3);

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aPrimaryCutOffFromItsPeersAndTheEcsAcknowledgesNothingAndLosesNothing() throws Exception {
        long seed = TestSeeds.seed();
        try (EcsProcess ecs = EcsProcess.start(NODES, "--ringkv.replication.factor=" + RF,
                "--ringkv.ecs.failure-timeout=" + FAILURE_TIMEOUT,
                EcsProcess.nodeJavaOptions("-Dringkv.faults.enabled=true"))) {
            JsonNode cluster = ecs.awaitCluster(NODES + " UP nodes", EcsProcess.READY_TIMEOUT,
                    c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
            List<EcsProcess.LaunchedNode> nodes = new ArrayList<>();
            for (JsonNode node : cluster.path("nodes")) {
                nodes.add(ecs.launched(node.path("id").asString()));
            }
            EcsProcess.LaunchedNode isolated = nodes.get(1);
            List<EcsProcess.LaunchedNode> majority = nodes.stream().filter(n -> n != isolated).toList();
            // Half the clients use every node, the isolated one included (they keep trying the minority
            // side); the other half only the majority's nodes, whose progress the cut must not stop.
            List<InetSocketAddress> all = nodes.stream().map(EcsProcess.LaunchedNode::address).toList();
            List<InetSocketAddress> majorityOnly = majority.stream().map(EcsProcess.LaunchedNode::address).toList();
            try (ClusterWorkload clients = new ClusterWorkload(KEYS, CLIENTS, seed,
                    client -> client % 2 == 0 ? () -> all : () -> majorityOnly)) {
                clients.load();
                clients.start();
                NodeProcess.sleep(Duration.ofSeconds(2));

                long epochBefore = ecs.cluster().path("epoch").asLong();
                List<String> isolatedCuts = new ArrayList<>();
                for (EcsProcess.LaunchedNode peer : majority) {
                    isolatedCuts.add(EcsProcess.cutRule("all", peer.host() + ":" + peer.port()));
                }
                isolatedCuts.add(EcsProcess.cutRule("tcp", ecs.url().substring("http://".length())));
                // The majority's side first: while the rules go in one node at a time, a majority node
                // that still forwarded writes to the isolated one, after that one could no longer
                // replicate, would leave those writes' outcomes unknown and their clients waiting out
                // every retry. A real partition cuts both sides at once.
                for (EcsProcess.LaunchedNode peer : majority) {
                    ecs.armFaults(peer, List.of(EcsProcess.cutRule("all", isolated.host() + ":" + isolated.port())));
                }
                ecs.armFaults(isolated, isolatedCuts);
                long cutAt = System.nanoTime();

                ecs.awaitCluster("a ring without " + isolated.id(), DETECTION_BOUND,
                        c -> c.path("epoch").asLong() > epochBefore && EcsProcess.upNodes(c).size() == NODES - 1);
                long detectionMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
                ReplicationIT.awaitRepairs(ecs);
                NodeProcess.sleep(Duration.ofSeconds(5)); // the majority keeps acknowledging meanwhile
                long healAt = System.nanoTime();

                List<ClusterWorkload.Ack> minority = clients.acknowledgedVia(isolated.address(), cutAt, healAt);
                long majorityAcks = clients.acknowledgedElsewhere(isolated.address(), cutAt, healAt);
                System.out.printf("PartitionIT (seed %d): %s cut off; ring without it after %d ms; during the cut %d"
                                + " writes acknowledged through the majority, %d through the isolated node%n",
                        seed, isolated.id(), detectionMs, majorityAcks, minority.size());
                assertThat(minority).as("writes acknowledged on the minority side (seed %d)", seed).isEmpty();
                assertThat(majorityAcks).as("the majority side kept acknowledging (seed %d): %s", seed, clients.summary())
                        .isPositive();

                for (EcsProcess.LaunchedNode node : nodes) {
                    ecs.healFaults(node);
                }
                long healedAt = System.nanoTime();
                ecs.awaitCluster(isolated.id() + " back in the ring", REJOIN_BOUND,
                        c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
                System.out.printf("PartitionIT (seed %d): %s back in the ring %d ms after the heal%n", seed,
                        isolated.id(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt));
                ReplicationIT.awaitRepairs(ecs);
                NodeProcess.sleep(Duration.ofSeconds(2));
                clients.stop();
                ReplicationIT.verifyEverywhere(ecs, clients, RF, "after the partition healed");
                System.out.printf("PartitionIT (seed %d): %s%n", seed, clients.summary());
                assertThat(clients.wrongReads.get()).as("wrong reads (seed %d): %s", seed, clients.wrongReadReports())
                        .isZero();
            }
        }
    }
}
