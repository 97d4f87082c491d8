package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.jayway.jsonpath.JsonPath;
import io.ringkv.ring.Ring;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Network faults injected into real node JVMs through {@code /api/v1/node/faults} (design §7): a
 * lossy, duplicating UDP network that clients get through by retrying (the at-most-once cache
 * keeps their retries and the duplicates harmless); delays and reordering; a cut between one client
 * and the node; and a partition between two nodes that stops forwarding while both keep serving
 * their own clients. Bad plans are refused with a problem, and DELETE heals.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NetworkFaultIT {
    private static final String FAULTS = "/api/v1/node/faults";
    /** PUT/GET pairs through the lossy network. */
    private static final int PAIRS = 40;
    /** Short, so that lost datagrams cost little time; the node answers loopback in well under it. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(150);
    /**
     * Rounds of {@link UdpKv#tryCall}'s attempts under one messageID. A round of 5 attempts fails at
     * 30% loss each way with probability 0.51^5 (3%); six rounds, 0.51^30 (2e-9) per request.
     */
    private static final int ROUNDS_MAX = 6;

    private static NodeProcess start(String name) {
        return NodeProcess.start(name, args -> args.put("ringkv.faults.enabled", "true"));
    }

    @Test
    void clientsGetThroughThirtyPercentLossAndDuplicatesByRetryingAndHealingStopsTheFaults() {
        try (NodeProcess node = start("NetworkFaultIT-lossy");
                UdpKv udp = new UdpKv(node.nodeAddress(), ATTEMPT_TIMEOUT)) {
            refusesBadPlans(node);

            HttpResponse<String> armed = node.call("POST", FAULTS,
                    "{\"network\":[{\"protocol\":\"udp\",\"dropPercent\":30,\"duplicatePercent\":10}],\"seed\":42}");
            assertThat(armed.statusCode()).as(armed.body()).isEqualTo(200);
            assertThat(((Number) JsonPath.read(armed.body(), "$.network.seed")).longValue()).isEqualTo(42);
            assertThat((String) JsonPath.read(armed.body(), "$.network.rules[0].direction")).isEqualTo("both");
            assertThat((String) JsonPath.read(armed.body(), "$.disk")).as("disk untouched").isEqualTo("none");
            assertThat(node.logTail()).contains("seed 42");

            for (int i = 0; i < PAIRS; i++) {
                KVResponse put = persist(udp, Kv.put(bytes("k" + i), bytes("v" + i), i));
                assertThat(put.getErrCode()).as("PUT k%d: %s", i, Kv.describe(put)).isEqualTo(ErrorCode.SUCCESS.code());
                KVResponse got = persist(udp, Kv.get(bytes("k" + i)));
                assertThat(got.getValue()).as("GET k%d", i).isEqualTo(bytes("v" + i));
                assertThat(got.getVersion()).isEqualTo(i);
            }
            Map<String, Object> counters = counters(node);
            assertThat(((Number) counters.get("dropped")).longValue()).isPositive();
            assertThat(((Number) counters.get("duplicated")).longValue()).isPositive();

            HttpResponse<String> healed = node.call("DELETE", FAULTS, null);
            assertThat(healed.statusCode()).isEqualTo(200);
            assertThat((List<?>) JsonPath.read(healed.body(), "$.network.rules")).isEmpty();
            Map<String, Object> atHeal = counters(node);
            for (int i = 0; i < PAIRS; i++) {
                assertThat(persist(udp, Kv.get(bytes("k" + i))).getValue()).isEqualTo(bytes("v" + i));
            }
            assertThat(counters(node)).as("nothing is injected after DELETE").isEqualTo(atHeal);
        }
    }

    @Test
    void delaysReorderingAndACutBetweenOneClientAndTheNode() {
        try (NodeProcess node = start("NetworkFaultIT-cut");
                UdpKv cutOff = new UdpKv(node.nodeAddress(), ATTEMPT_TIMEOUT);
                UdpKv other = new UdpKv(node.nodeAddress(), Duration.ofSeconds(1))) {
            assertThat(node.call("POST", FAULTS, "{\"network\":[{\"delayMs\":20,\"jitterMs\":10,\"reorder\":true}]}")
                    .statusCode()).isEqualTo(200);
            for (int i = 0; i < 10; i++) {
                assertThat(other.put(bytes("d" + i), bytes("x"), i).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
            Map<String, Object> counters = counters(node);
            assertThat(((Number) counters.get("delayed")).longValue()).isPositive();
            assertThat(((Number) counters.get("reordered")).longValue()).isPositive();

            InetSocketAddress client = cutOff.localAddress();
            String cut = "{\"network\":[{\"peer\":\"127.0.0.1:" + client.getPort() + "\",\"cut\":true}]}";
            assertThat(node.call("POST", FAULTS, cut).statusCode()).isEqualTo(200);
            assertThat(cutOff.tryCall(Kv.newId(), Kv.get(bytes("d1")), () -> false)).as("the cut client").isEmpty();
            assertThat(other.get(bytes("d1")).getErrCode()).as("another client").isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(((Number) counters(node).get("cut")).longValue()).isPositive();

            assertThat(node.call("DELETE", FAULTS, null).statusCode()).isEqualTo(200);
            assertThat(persist(cutOff, Kv.get(bytes("d1"))).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        }
    }

    @Test
    void aCutBetweenTwoNodesStopsForwardingWhileBothServeTheirOwnKeys() {
        try (NodeProcess a = start("NetworkFaultIT-a"); NodeProcess b = start("NetworkFaultIT-b");
                UdpKv viaA = a.udp(); UdpKv viaB = b.udp();
                // Short attempts for the requests that must go unanswered: a cut fails a forward at once.
                UdpKv silentA = new UdpKv(a.nodeAddress(), ATTEMPT_TIMEOUT);
                UdpKv silentB = new UdpKv(b.nodeAddress(), ATTEMPT_TIMEOUT)) {
            Ring ring = Ring.of(1, 64, List.of(ClusterRoutingIT.member(a), ClusterRoutingIT.member(b)));
            ClusterRoutingIT.publish(ring, List.of(a, b));
            ByteString onA = ClusterRoutingIT.keyOwnedBy(ring, ClusterRoutingIT.member(a).id());
            ByteString onB = ClusterRoutingIT.keyOwnedBy(ring, ClusterRoutingIT.member(b).id());
            assertThat(viaA.put(onB, bytes("b"), 1).getErrCode()).as("forwarded A to B").isEqualTo(0);
            assertThat(viaB.put(onA, bytes("a"), 1).getErrCode()).as("forwarded B to A").isEqualTo(0);

            // Peers reach each other from ephemeral ports, so each side cuts its own links to the other.
            partition(a, b, "POST");
            assertThat(silentA.tryCall(Kv.newId(), Kv.get(onB), () -> false)).as("A cannot forward to B").isEmpty();
            assertThat(silentB.tryCall(Kv.newId(), Kv.get(onA), () -> false)).as("B cannot forward to A").isEmpty();
            assertThat(viaA.get(onA).getValue()).as("A serves its own keys").isEqualTo(bytes("a"));
            assertThat(viaB.get(onB).getValue()).as("B serves its own keys").isEqualTo(bytes("b"));
            assertThat(((Number) counters(a).get("cut")).longValue()).isPositive();

            partition(a, b, "DELETE");
            assertThat(viaA.get(onB).getValue()).as("healed: A forwards again").isEqualTo(bytes("b"));
            assertThat(viaB.get(onA).getValue()).as("healed: B forwards again").isEqualTo(bytes("a"));
        }
    }

    private static void partition(NodeProcess a, NodeProcess b, String method) {
        for (var pair : List.of(List.of(a, b), List.of(b, a))) {
            String body = method.equals("DELETE") ? null
                    : "{\"network\":[{\"protocol\":\"tcp\",\"peer\":\"127.0.0.1:" + pair.get(1).nodePort()
                            + "\",\"cut\":true}],\"seed\":7}";
            HttpResponse<String> response = pair.get(0).call(method, FAULTS, body);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
    }

    private static void refusesBadPlans(NodeProcess node) {
        refused(node, "{\"network\":[{\"protocol\":\"sctp\"}]}", "unknown protocol 'sctp'");
        refused(node, "{\"network\":[{\"dropPercent\":150}]}", "dropPercent must be between 0 and 100");
        refused(node, "{\"network\":[{\"delayMs\":60000}]}", "delayMs must be between 0 and 10000");
        refused(node, "{\"network\":[{\"dropPercnt\":30}]}", "unknown field 'dropPercnt'");
        refused(node, "{\"disk\":\"fsync-eio\",\"network\":[{\"protocol\":\"sctp\"}]}", "network[0]");
        refused(node, "{\"seed\":1}", "seed");
        refused(node, "[1,2]", "JSON object");
        assertThat((String) JsonPath.read(node.call("GET", FAULTS, null).body(), "$.disk"))
                .as("a refused plan arms nothing, the disk fault in it included").isEqualTo("none");
        assertThat(node.get(FAULTS, false).statusCode()).as("the admin token is required").isEqualTo(401);
    }

    private static void refused(NodeProcess node, String body, String detail) {
        HttpResponse<String> response = node.call("POST", FAULTS, body);
        assertThat(response.statusCode()).as(body).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat((String) JsonPath.read(response.body(), "$.detail")).contains(detail);
    }

    private static Map<String, Object> counters(NodeProcess node) {
        return JsonPath.read(node.call("GET", FAULTS, null).body(), "$.network.counters");
    }

    /** The reply to {@code request}, resent under one messageID for up to {@link #ROUNDS_MAX} rounds. */
    private static KVResponse persist(UdpKv udp, KVRequest request) {
        ByteString id = Kv.newId();
        for (int round = 0; round < ROUNDS_MAX; round++) {
            Optional<KVResponse> reply = udp.tryCall(id, request, () -> false);
            if (reply.isPresent()) {
                return reply.get();
            }
        }
        throw new AssertionError("no reply to messageID " + UdpKv.hex(id) + " in " + ROUNDS_MAX + " rounds");
    }
}
