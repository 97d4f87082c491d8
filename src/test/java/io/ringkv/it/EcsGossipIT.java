package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Gossip in an ECS's cluster, on real JVMs (4 nodes, 3 copies, the ECS pushing each ring to one
 * member besides those that gain ranges), with keys loaded first and, from step 3 on, clients
 * writing and reading with verification through the UP nodes. Faults are the nodes' own fault
 * plane, which covers the membership socket too.
 * <ol>
 *   <li>Node A's link to the ECS alone is cut (both ways). Its heartbeats reach the ECS through its
 *       peers: it keeps its lease, is never failed over, and the ECS shows the relay.
 *   <li>Meanwhile node D is killed. The ECS fails it over, but can neither push the new ring to A
 *       nor answer A's pulls: A gets it from its peers, whichever comes first of a peer whose
 *       gossip carried the newer epoch and a primary's range sync that carries the ring ({@code
 *       EcsGossipTest} shows the gossip way alone).
 *   <li>Node B is cut off from its peers (data plane and gossip), not from the ECS. Its heartbeats
 *       still arrive, but the others find it dead by gossip: the ECS fails it over (CUT_OFF). After
 *       the heal it is re-admitted, and every key reads its last acknowledged value through every
 *       node, with 3 copies.
 * </ol>
 */
class EcsGossipIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int NODES = 4;
    private static final int RF = 3;
    private static final int KEYS = 500;
    private static final int CLIENTS = 2;
    private static final Duration FAILURE_TIMEOUT = Duration.ofSeconds(2);
    /** A's ECS link stays cut this long: several failure timeouts, any of which would fail a silent node over. */
    private static final Duration ECS_CUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(45);
    private static final Duration REJOIN_BOUND = Duration.ofMinutes(3);

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void relayedHeartbeatsRingsByGossipAndAMemberCutOffFromItsPeersIsFailedOver() throws Exception {
        long seed = TestSeeds.seed();
        try (EcsProcess ecs = EcsProcess.start(NODES, "--ringkv.replication.factor=" + RF,
                "--ringkv.ecs.failure-timeout=" + FAILURE_TIMEOUT.toMillis() + "ms",
                "--ringkv.ecs.ring-push-fanout=1",
                EcsProcess.nodeJavaOptions("-Dringkv.faults.enabled=true"))) {
            JsonNode cluster = ecs.awaitCluster(NODES + " UP nodes", EcsProcess.READY_TIMEOUT,
                    c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
            List<EcsProcess.LaunchedNode> nodes = new ArrayList<>();
            for (JsonNode node : cluster.path("nodes")) {
                nodes.add(ecs.launched(node.path("id").asString()));
            }
            EcsProcess.LaunchedNode a = nodes.get(0);
            EcsProcess.LaunchedNode b = nodes.get(1);
            EcsProcess.LaunchedNode d = nodes.get(3);
            String ecsAddress = ecs.url().substring("http://".length());
            try (EcsProcess.UpNodes up = ecs.watchUpNodes(cluster);
                    ClusterWorkload clients = new ClusterWorkload(KEYS, CLIENTS, seed, up)) {
                clients.load();
                awaitGossip(ecs, nodes);
                // The clients start after step 2: their requests would carry the new ring to A too
                // (a peer's NOT_RESPONSIBLE reply names it), and step 2 is about what peers do alone.

                // 1. A's link to the ECS alone is cut: its heartbeats go through its peers.
                long epochBefore = ecs.cluster().path("epoch").asLong();
                ecs.armFaults(a, List.of(EcsProcess.cutRule("tcp", ecsAddress)));
                long cutAt = System.nanoTime();
                int samples = 0;
                int leaseValid = 0;
                String via = null;
                while (System.nanoTime() - cutAt < ECS_CUT.toNanos()) {
                    NodeProcess.sleep(Duration.ofMillis(250));
                    JsonNode view = node(ecs.cluster(), a.id());
                    assertThat(view.path("status").asString()).as("%s with its ECS link cut", a.id()).isEqualTo("UP");
                    if (view.path("heartbeatVia").isString()) {
                        via = view.path("heartbeatVia").asString();
                    }
                    samples++;
                    if (ecs.callNode(a.host(), a.restPort(), "GET", "/api/v1/node", null).path("lease").path("valid")
                            .asBoolean()) {
                        leaseValid++;
                    }
                }
                long epochDuringCut = ecs.cluster().path("epoch").asLong();
                System.out.printf("EcsGossipIT (seed %d): %s cut from the ECS for %d ms: heartbeats via %s, lease valid"
                        + " in %d of %d samples%n", seed, a.id(), ECS_CUT.toMillis(), via, leaseValid, samples);
                assertThat(epochDuringCut).as("no ring change for a node that reaches its peers").isEqualTo(epochBefore);
                assertThat(via).as("the relay of %s's heartbeats", a.id()).isNotNull().isNotEqualTo(a.id());
                assertThat(leaseValid).as("samples of %s's lease that were valid", a.id())
                        .isGreaterThanOrEqualTo(samples * 8 / 10);

                // 2. D dies: A gets the failover ring from its peers' gossip, since the ECS cannot reach it.
                EcsProcess.killNode(d);
                long killedAt = System.nanoTime();
                JsonNode failedOver = ecs.awaitCluster("a ring without " + d.id(), BOUND,
                        c -> c.path("epoch").asLong() > epochBefore && EcsProcess.upNodes(c).size() == NODES - 1);
                long epochWithoutD = failedOver.path("epoch").asLong();
                awaitNode(ecs, a, BOUND, info -> info.path("epoch").asLong() >= epochWithoutD,
                        "routes by epoch " + epochWithoutD);
                long adoptedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                JsonNode membership = ecs.callNode(a.host(), a.restPort(), "GET", "/api/v1/node/membership", null);
                System.out.printf("EcsGossipIT (seed %d): %s failed over %d ms after kill -9; %s, cut from the ECS,"
                                + " routed by epoch %d %d ms after the kill (rings from gossip: %d)%n", seed, d.id(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt), a.id(), epochWithoutD, adoptedMs,
                        membership.path("ringsFromGossip").asLong());
                ecs.healFaults(a);
                clients.start();
                NodeProcess.sleep(Duration.ofSeconds(2));

                // 3. B is cut off from its peers (data plane and gossip) but not from the ECS.
                List<EcsProcess.LaunchedNode> peers = nodes.stream().filter(n -> n != b && n != d).toList();
                List<String> bCuts = new ArrayList<>();
                for (EcsProcess.LaunchedNode peer : peers) {
                    bCuts.add(EcsProcess.cutRule("all", peer.host() + ":" + peer.port()));
                    ecs.armFaults(peer, List.of(EcsProcess.cutRule("all", b.host() + ":" + b.port())));
                }
                ecs.armFaults(b, bCuts);
                long isolatedAt = System.nanoTime();
                JsonNode withoutB = ecs.awaitCluster("a ring without " + b.id(), BOUND,
                        c -> c.path("epoch").asLong() > epochWithoutD
                                && node(c, b.id()).path("status").asString().equals("FAILED"));
                long cutOffMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - isolatedAt);
                JsonNode detection = detectionOf(ecs, b.id());
                System.out.printf("EcsGossipIT (seed %d): %s, cut off from its peers only, failed over after %d ms: %s%n",
                        seed, b.id(), cutOffMs, detection);
                assertThat(detection.path("cause").asString()).as("%s", detection).isEqualTo("CUT_OFF");
                assertThat(withoutB.path("epoch").asLong()).isGreaterThan(epochWithoutD);

                for (EcsProcess.LaunchedNode node : List.of(a, b, nodes.get(2))) {
                    ecs.healFaults(node);
                }
                long healedAt = System.nanoTime();
                ecs.awaitCluster(b.id() + " back in the ring", REJOIN_BOUND,
                        c -> EcsProcess.upNodes(c).size() == NODES - 1 && c.path("operation").isNull());
                System.out.printf("EcsGossipIT (seed %d): %s back in the ring %d ms after the heal%n", seed, b.id(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt));
                ReplicationIT.awaitRepairs(ecs);
                NodeProcess.sleep(Duration.ofSeconds(2));
                clients.stop();
                ReplicationIT.verifyEverywhere(ecs, clients, RF, "after the faults healed");
                System.out.printf("EcsGossipIT (seed %d): %s%n", seed, clients.summary());
                assertThat(clients.wrongReads.get()).as("wrong reads (seed %d): %s", seed, clients.wrongReadReports())
                        .isZero();
            }
        }
    }

    /** Waits until every node's gossip finds all the others alive. */
    private static void awaitGossip(EcsProcess ecs, List<EcsProcess.LaunchedNode> nodes) {
        for (EcsProcess.LaunchedNode node : nodes) {
            awaitNode(ecs, node, BOUND, info -> {
                JsonNode membership = ecs.callNode(node.host(), node.restPort(), "GET", "/api/v1/node/membership", null);
                return membership.path("live").asInt() == nodes.size();
            }, "gossips with all " + nodes.size());
        }
    }

    /** Polls {@code GET /api/v1/node} of {@code node} until {@code done}; returns how long that took. */
    private static long awaitNode(EcsProcess ecs, EcsProcess.LaunchedNode node, Duration bound,
            java.util.function.Predicate<JsonNode> done, String what) {
        long start = System.nanoTime();
        JsonNode info = null;
        while (System.nanoTime() - start < bound.toNanos()) {
            info = ecs.callNode(node.host(), node.restPort(), "GET", "/api/v1/node", null);
            if (done.test(info)) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
            NodeProcess.sleep(Duration.ofMillis(100));
        }
        throw new AssertionError(node.id() + " never " + what + " within " + bound + ": " + info);
    }

    private static JsonNode node(JsonNode cluster, String id) {
        for (JsonNode node : cluster.path("nodes")) {
            if (node.path("id").asString().equals(id)) {
                return node;
            }
        }
        throw new AssertionError("no node " + id + " in " + cluster);
    }

    /** The detection of {@code id} in the latest FAILOVER operation that names it. */
    private static JsonNode detectionOf(EcsProcess ecs, String id) {
        JsonNode operations = JSON.readTree(ecs.call("GET", "/api/v1/operations", null).body());
        JsonNode detection = null;
        for (JsonNode op : operations) {
            if (op.path("kind").asString().equals("FAILOVER")) {
                for (JsonNode d : op.path("detections")) {
                    if (d.path("node").asString().equals(id)) {
                        detection = d;
                    }
                }
            }
        }
        assertThat(detection).as("a FAILOVER detection of %s in %s", id, operations).isNotNull();
        return detection;
    }
}
