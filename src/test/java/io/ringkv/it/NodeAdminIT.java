package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import io.ringkv.wire.ErrorCode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The node's admin REST API and actuator endpoints (design §6): the token guard, node info,
 * wipeout and shutdown. One node serves the class; the shutdown test starts its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeAdminIT {
    private static NodeProcess node;

    @BeforeAll
    static void startNode() {
        node = NodeProcess.start("NodeAdminIT");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void adminApiWithoutTokenIsRefusedWithProblemJson() {
        HttpResponse<String> response = node.get("/api/v1/node", false);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                value -> assertThat(value).startsWith("Bearer"));
        assertThat((Integer) JsonPath.read(response.body(), "$.status")).isEqualTo(401);
        assertThat((String) JsonPath.read(response.body(), "$.title")).isEqualTo("Unauthorized");
        assertThat(response.body()).doesNotContain(node.token());
    }

    @Test
    void adminApiWithWrongTokenIsRefused() {
        assertThat(node.get("/api/v1/node", node.token() + "x").statusCode()).isEqualTo(401);
        assertThat(node.get("/api/v1/node", "").statusCode()).isEqualTo(401);
    }

    @ParameterizedTest(name = "GET {0}")
    @ValueSource(strings = {"/%61pi/v1/node", "/ap%69/v1/node", "/api/v1/node;x=1", "/api/v1//node", "/api/v1/node/",
        "//api/v1/node", "/api/./v1/node", "/x/../api/v1/node", "/api/v1/%6eode"})
    void oddlySpelledPathsCannotBypassTheToken(String path) {
        HttpResponse<String> response = node.get(path, false);
        assertThat(response.statusCode()).as("GET %s without a token", path).isBetween(400, 499);
        assertThat(response.body()).doesNotContain("\"pid\"");
    }

    @Test
    void percentEncodedAdminPathsWithoutTokenChangeNothing() {
        try (UdpKv udp = node.udp()) {
            assertThat(udp.put(bytes("encoded"), bytes("v"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());

            assertThat(node.post("/%61pi/v1/node/wipeout", false).statusCode()).isEqualTo(401);
            assertThat(node.post("/ap%69/v1/node/shutdown", false).statusCode()).isEqualTo(401);

            assertThat(udp.get(bytes("encoded")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(node.awaitExit(Duration.ofSeconds(1))).as("node still running").isEmpty();
        }
    }

    @Test
    void mutatingEndpointsWithoutTokenChangeNothing() {
        try (UdpKv udp = node.udp()) {
            assertThat(udp.put(bytes("guarded"), bytes("v"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());

            assertThat(node.post("/api/v1/node/wipeout", false).statusCode()).isEqualTo(401);
            assertThat(node.post("/api/v1/node/shutdown", false).statusCode()).isEqualTo(401);

            assertThat(udp.get(bytes("guarded")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(node.awaitExit(Duration.ofSeconds(1))).as("node still running").isEmpty();
            assertThat(node.get("/actuator/health/readiness", false).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void nodeInfoWithTokenDescribesThisProcess() {
        HttpResponse<String> response = node.get("/api/v1/node", true);

        assertThat(response.statusCode()).isEqualTo(200);
        String body = response.body();
        assertThat(((Number) JsonPath.read(body, "$.pid")).longValue()).isEqualTo(node.pid());
        assertThat((Integer) JsonPath.read(body, "$.port")).isEqualTo(node.nodePort());
        assertThat((Integer) JsonPath.read(body, "$.restPort")).isEqualTo(node.restPort());
        assertThat((String) JsonPath.read(body, "$.host")).isEqualTo("127.0.0.1");
        assertThat((String) JsonPath.read(body, "$.id")).isNotBlank();
        assertThat((String) JsonPath.read(body, "$.engine")).isNotBlank();
        assertThat(((Number) JsonPath.read(body, "$.uptimeMs")).longValue()).isPositive();
        assertThat(((Number) JsonPath.read(body, "$.bytesMax")).longValue()).isPositive();
        assertThat((Boolean) JsonPath.read(body, "$.writable")).isTrue();
    }

    @Test
    void readinessAndPrometheusNeedNoToken() {
        HttpResponse<String> readiness = node.get("/actuator/health/readiness", false);
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(readiness.body(), "$.status")).isEqualTo("UP");

        assertThat(node.get("/actuator/health/liveness", false).statusCode()).isEqualTo(200);

        HttpResponse<String> prometheus = node.get("/actuator/prometheus", false);
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.body())
                .contains("ringkv_discarded_total{")
                .contains("reason=\"checksum\"")
                .contains("ringkv_requests_seconds_count{")
                .contains("ringkv_reply_cache_replays_total")
                .contains("ringkv_storage_keys");
    }

    @Test
    void requestsAreCountedByCommandAndResult() {
        double before = node.metric("ringkv_requests_seconds_count", "command=\"put\"", "result=\"success\"");
        try (UdpKv udp = node.udp()) {
            for (int i = 0; i < 3; i++) {
                assertThat(udp.put(bytes("counted" + i), bytes("v"), i).getErrCode())
                        .isEqualTo(ErrorCode.SUCCESS.code());
            }
        }
        assertThat(node.metric("ringkv_requests_seconds_count", "command=\"put\"", "result=\"success\""))
                .isGreaterThanOrEqualTo(before + 3);
    }

    @Test
    void restWipeoutRemovesEverything() {
        try (UdpKv udp = node.udp()) {
            for (int i = 0; i < 10; i++) {
                assertThat(udp.put(bytes("wipe" + i), bytes("v"), i).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
            assertThat(keys()).isGreaterThanOrEqualTo(10);

            assertThat(node.post("/api/v1/node/wipeout", true).statusCode()).isEqualTo(204);

            assertThat(keys()).isZero();
            for (int i = 0; i < 10; i++) {
                assertThat(udp.get(bytes("wipe" + i)).getErrCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
            }
        }
    }

    @Test
    void restShutdownEndsTheProcess() {
        try (NodeProcess own = NodeProcess.start("NodeAdminIT-shutdown")) {
            assertThat(own.post("/api/v1/node/shutdown", true).statusCode()).isEqualTo(202);

            assertThat(own.awaitExit(Duration.ofSeconds(10)))
                    .as("exit code of %s; log tail:%n%s", own, own.logTail())
                    .hasValue(0);
        }
    }

    private static long keys() {
        HttpResponse<String> response = node.get("/api/v1/node", true);
        assertThat(response.statusCode()).isEqualTo(200);
        return ((Number) JsonPath.read(response.body(), "$.keys")).longValue();
    }

    @Test
    void faultInjectionDoesNotExistUnlessEnabled() {
        assertThat(node.call("POST", "/api/v1/node/faults", "{\"disk\":\"fsync-eio\"}").statusCode()).isEqualTo(404);
        assertThat(node.call("GET", "/api/v1/node/faults", null).statusCode()).isEqualTo(404);
        try (UdpKv udp = node.udp()) {
            assertThat(udp.put(bytes("after-faults"), bytes("v"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        }
    }
}
