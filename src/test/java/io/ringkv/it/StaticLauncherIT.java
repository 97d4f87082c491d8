package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import io.ringkv.wire.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The static launcher: the ECS starts no process; nodes started by hand with
 * {@code ringkv.node.ecs} register themselves, are admitted into the ring one by one (the second
 * by a handoff from the first), and serve every key from either node.
 */
class StaticLauncherIT {
    private static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(3);

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void nodesStartedByHandRegisterAndShareTheKeys() {
        try (EcsProcess ecs = EcsProcess.start(0, "--ringkv.ecs.launcher=static")) {
            var launch = ecs.call("POST", "/api/v1/nodes", "{\"count\":1}");
            assertThat(launch.statusCode()).as("a static ECS launches nothing: %s", launch.body()).isEqualTo(400);
            assertThat(ecs.call("GET", "/api/v1/ring", null).statusCode()).as("no ring before a node joins")
                    .isEqualTo(404);

            List<NodeProcess> nodes = new ArrayList<>();
            try {
                nodes.add(start(ecs, "static-a"));
                ecs.awaitCluster("static-a UP", OPERATION_TIMEOUT, c -> EcsProcess.upNodes(c).size() == 1
                        && c.path("operation").isNull());
                try (UdpKv a = nodes.getFirst().udp()) {
                    for (int k = 0; k < 200; k++) {
                        assertThat(a.put(bytes("s" + k), bytes("v" + k), k).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
                    }
                }

                nodes.add(start(ecs, "static-b"));
                JsonNode two = ecs.awaitCluster("static-a and static-b UP", OPERATION_TIMEOUT,
                        c -> EcsProcess.upNodes(c).size() == 2 && c.path("operation").isNull());
                long epoch = two.path("epoch").asLong();
                for (NodeProcess node : nodes) {
                    var ring = node.get("/api/v1/node/ring", true);
                    assertThat(((Number) JsonPath.read(ring.body(), "$.epoch")).longValue()).isEqualTo(epoch);
                    assertThat((List<?>) JsonPath.read(ring.body(), "$.members")).hasSize(2);
                }
                for (NodeProcess node : nodes) {
                    try (UdpKv kv = node.udp()) {
                        for (int k = 0; k < 200; k++) {
                            assertThat(kv.get(bytes("s" + k)).getValue()).as("s%d via %s", k, node).isEqualTo(bytes("v" + k));
                        }
                    }
                }
                assertThat(nodes.get(1).metric("ringkv_storage_keys")).as("the second node took over its share")
                        .isPositive();
            } finally {
                nodes.forEach(NodeProcess::close);
            }
        }
    }

    private static NodeProcess start(EcsProcess ecs, String id) {
        return NodeProcess.start("StaticLauncherIT-" + id, args -> {
            args.put("ringkv.node.id", id);
            args.put("ringkv.node.ecs", ecs.url());
            args.put("ringkv.admin.token", ecs.token());
        });
    }
}
