package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import io.ringkv.wire.ErrorCode;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A disk that fails under a running node (design §3.1, "write errors are fatal for writes"): with
 * fault injection enabled, the log's fsyncs start failing with EIO through the fault decorator
 * around the engine's real file system. The node must refuse writes, say why on readiness and in
 * {@code GET /api/v1/node}, keep serving reads of what it acknowledged, and come back whole after a
 * restart.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StorageFaultIT {

    @Test
    void fsyncEioMakesTheNodeReadOnlyAndNotReadyWhileReadsGoOn() {
        try (NodeProcess node = NodeProcess.start("StorageFaultIT", args -> {
            args.put("ringkv.faults.enabled", "true");
            args.put("ringkv.storage.fsync", "always");
        }); UdpKv udp = node.udp()) {
            assertThat(udp.put(bytes("a"), bytes("1"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(udp.put(bytes("b"), bytes("2"), 2).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat((String) JsonPath.read(node.call("GET", "/api/v1/node/faults", null).body(), "$.disk"))
                    .isEqualTo("none");

            HttpResponse<String> bad = node.call("POST", "/api/v1/node/faults", "{\"disk\":\"melt\"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            assertThat((String) JsonPath.read(bad.body(), "$.detail")).contains("melt").contains("fsync-eio");
            assertThat(udp.put(bytes("b"), bytes("2"), 2).getErrCode()).as("an unknown fault arms nothing")
                    .isEqualTo(ErrorCode.SUCCESS.code());

            HttpResponse<String> armed = node.call("POST", "/api/v1/node/faults", "{\"disk\":\"fsync-eio\"}");
            assertThat(armed.statusCode()).isEqualTo(200);
            assertThat((String) JsonPath.read(armed.body(), "$.disk")).isEqualTo("fsync-eio");

            assertThat(udp.put(bytes("c"), bytes("3"), 3).getErrCode())
                    .as("a write whose fsync failed is not acknowledged")
                    .isEqualTo(ErrorCode.INTERNAL_FAILURE.code());

            HttpResponse<String> readiness = node.get("/actuator/health/readiness", false);
            assertThat(readiness.statusCode()).isEqualTo(503);
            assertThat((String) JsonPath.read(readiness.body(), "$.status")).isEqualTo("DOWN");
            assertThat((String) JsonPath.read(readiness.body(), "$.components.storage.details.reason"))
                    .contains("EIO");
            assertThat(node.get("/actuator/health/liveness", false).statusCode())
                    .as("a read-only node is alive: restarting it would not fix the disk").isEqualTo(200);
            String info = node.get("/api/v1/node", true).body();
            assertThat((Boolean) JsonPath.read(info, "$.writable")).isFalse();
            assertThat((String) JsonPath.read(info, "$.writeFailure")).contains("fsync").contains("EIO");

            var a = udp.get(bytes("a"));
            assertThat(a.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(a.getValue()).isEqualTo(bytes("1"));
            assertThat(udp.get(bytes("b")).getVersion()).isEqualTo(2);
            assertThat(udp.get(bytes("c")).getErrCode()).as("the failed write is not visible")
                    .isEqualTo(ErrorCode.NO_SUCH_KEY.code());

            // A healed disk does not make the engine trust its page cache again: writes stay refused.
            assertThat((String) JsonPath.read(node.call("DELETE", "/api/v1/node/faults", null).body(), "$.disk"))
                    .isEqualTo("none");
            assertThat(udp.put(bytes("d"), bytes("4"), 4).getErrCode()).isEqualTo(ErrorCode.INTERNAL_FAILURE.code());
            assertThat(udp.remove(bytes("a")).getErrCode()).isEqualTo(ErrorCode.INTERNAL_FAILURE.code());
            assertThat(udp.get(bytes("a")).getValue()).isEqualTo(bytes("1"));
            assertThat(node.logTail()).contains("EIO");

            node.kill();
            node.restart();
            assertThat(node.get("/actuator/health/readiness", false).statusCode()).isEqualTo(200);
            assertThat(udp.get(bytes("a")).getValue()).isEqualTo(bytes("1"));
            assertThat(udp.get(bytes("b")).getValue()).isEqualTo(bytes("2"));
            assertThat(udp.put(bytes("d"), bytes("4"), 4).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        }
    }
}
