package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ECS and its nodes as real JVMs: boot with three nodes, add one, remove it, refuse bad and
 * concurrent requests, survive {@code kill -9} by re-adopting the running nodes.
 */
class EcsIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(5);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void bootAddRemoveRefuseAndRecover() throws Exception {
        try (EcsProcess ecs = EcsProcess.start(3)) {
            JsonNode cluster = await(ecs, "3 UP nodes at epoch >= 1, boot finished",
                    c -> upNodes(c) == 3 && c.path("epoch").asLong() >= 1 && c.path("operation").isNull());
            long epoch = cluster.path("epoch").asLong();
            Map<String, Long> pids = pids(cluster);
            for (JsonNode node : cluster.path("nodes")) {
                long pid = node.path("pid").asLong();
                assertThat(ProcessHandle.of(pid)).as("process of %s", node.path("id")).hasValueSatisfying(
                        p -> assertThat(p.isAlive()).isTrue());
                var health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.path("restPort")
                        .asInt() + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
            }

            // Bad input is refused with a problem and changes nothing.
            var malformed = ecs.call("POST", "/api/v1/nodes", "{\"count\":");
            assertThat(malformed.statusCode()).isEqualTo(400);
            assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/problem+json"));
            assertThat(ecs.call("POST", "/api/v1/nodes", "{\"count\":0}").statusCode()).isEqualTo(400);
            assertThat(ecs.call("POST", "/api/v1/nodes", "{\"count\":10000}").statusCode()).isEqualTo(400);
            assertThat(ecs.call("POST", "/api/v1/nodes", "{\"cont\":1}").statusCode()).isEqualTo(400);
            assertThat(ecs.call("DELETE", "/api/v1/nodes/no-such-node", null).statusCode()).isEqualTo(404);
            assertThat(ecs.call("GET", "/api/v1/cluster", null, null).statusCode()).isEqualTo(401);
            assertThat(cluster(ecs).path("epoch").asLong()).isEqualTo(epoch);

            // Add one node; a second operation meanwhile is a conflict.
            var add = ecs.call("POST", "/api/v1/nodes", "{\"count\":1}");
            assertThat(add.statusCode()).as(add.body()).isEqualTo(202);
            String addId = JSON.readTree(add.body()).path("id").asString();
            assertThat(add.headers().firstValue("Location")).contains("/api/v1/operations/" + addId);
            var conflict = ecs.call("POST", "/api/v1/rebalance", null);
            assertThat(conflict.statusCode()).as(conflict.body()).isEqualTo(409);
            JsonNode added = awaitOperation(ecs, addId);
            assertThat(added.path("state").asString()).as(added.toString()).isEqualTo("SUCCEEDED");
            cluster = cluster(ecs);
            assertThat(upNodes(cluster)).isEqualTo(4);
            assertThat(cluster.path("epoch").asLong()).isGreaterThan(epoch);
            String newcomer = pids(cluster).keySet().stream().filter(id -> !pids.containsKey(id)).findFirst()
                    .orElseThrow();
            long newcomerPid = pids(cluster).get(newcomer);

            // Remove it again: its data moves first, then its process exits.
            var remove = ecs.call("DELETE", "/api/v1/nodes/" + newcomer, null);
            assertThat(remove.statusCode()).as(remove.body()).isEqualTo(202);
            JsonNode removed = awaitOperation(ecs, JSON.readTree(remove.body()).path("id").asString());
            assertThat(removed.path("state").asString()).as(removed.toString()).isEqualTo("SUCCEEDED");
            assertThat(upNodes(cluster(ecs))).isEqualTo(3);
            assertThat(ProcessHandle.of(newcomerPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();

            // kill -9 the ECS; the restarted one re-adopts the same processes.
            long epochBefore = cluster(ecs).path("epoch").asLong();
            ecs.kill();
            ecs.restart();
            JsonNode recovered = await(ecs, "the same 3 nodes UP after recovery",
                    c -> upNodes(c) == 3 && c.path("operation").isNull());
            assertThat(pids(recovered)).isEqualTo(pids);
            assertThat(recovered.path("epoch").asLong()).isEqualTo(epochBefore);
        }
    }

    /** How many nodes there are when every one is UP, else -1. */
    private static int upNodes(JsonNode cluster) {
        int up = EcsProcess.upNodes(cluster).size();
        return up == cluster.path("nodes").size() ? up : -1;
    }

    private static Map<String, Long> pids(JsonNode cluster) {
        Map<String, Long> pids = new HashMap<>();
        cluster.path("nodes").forEach(n -> pids.put(n.path("id").asString(), n.path("pid").asLong()));
        return pids;
    }

    private static JsonNode cluster(EcsProcess ecs) {
        return ecs.cluster();
    }

    private static JsonNode await(EcsProcess ecs, String what, Predicate<JsonNode> done) {
        return ecs.awaitCluster(what, OPERATION_TIMEOUT, done);
    }

    private static JsonNode awaitOperation(EcsProcess ecs, String id) {
        return ecs.awaitOperation(id, OPERATION_TIMEOUT);
    }
}
