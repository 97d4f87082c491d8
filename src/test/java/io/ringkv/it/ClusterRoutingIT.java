package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.jayway.jsonpath.JsonPath;
import io.ringkv.client.ClusterClient;
import io.ringkv.common.TestSeeds;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The node side of the ring (design §4) without an ECS: three real node JVMs are given rings by
 * hand over the same REST calls the ECS makes. Requests reach owners and non-owners over UDP and
 * TCP; a ring-aware request to a non-owner is told NOT_RESPONSIBLE with the ring; a retry of a
 * forwarded REMOVE is answered from the owner's cache; and a third node is added by handoff while
 * clients keep writing and reading with verification.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRoutingIT {
    private static final int KEYS = 3_000;
    private static final List<NodeProcess> nodes = new ArrayList<>();
    /** A ring-aware client that learns epoch 1 before the handoff and must catch up after it. */
    private static ClusterClient smart;

    @BeforeAll
    static void startNodes() {
        for (int i = 0; i < 3; i++) {
            nodes.add(NodeProcess.start("ClusterRoutingIT-" + i, args -> args.put("ringkv.ring.vnodes", "64")));
        }
    }

    @AfterAll
    static void stopNodes() {
        if (smart != null) {
            smart.close();
        }
        nodes.forEach(NodeProcess::close);
    }

    static Member member(NodeProcess node) {
        return new Member("node-" + node.nodePort(), "127.0.0.1", node.nodePort(), node.restPort());
    }

    static String json(Ring ring) {
        StringBuilder members = new StringBuilder();
        for (Member m : ring.members()) {
            members.append(members.isEmpty() ? "" : ",").append(String.format(
                    "{\"id\":\"%s\",\"host\":\"%s\",\"port\":%d,\"restPort\":%d}", m.id(), m.host(), m.port(), m.restPort()));
        }
        return String.format("{\"epoch\":%d,\"vnodes\":%d,\"members\":[%s]}", ring.epoch(), ring.vnodes(), members);
    }

    static void publish(Ring ring, List<NodeProcess> to) {
        for (NodeProcess node : to) {
            var response = node.call("PUT", "/api/v1/node/ring", json(ring));
            assertThat(response.statusCode()).as("PUT ring to %s: %s", node, response.body()).isEqualTo(200);
        }
    }

    static Ring twoNodeRing() {
        return Ring.of(1, 64, List.of(member(nodes.get(0)), member(nodes.get(1))));
    }

    @Test
    @Order(1)
    void everyNodeAnswersForEveryKeyAndOwnersHoldThem() {
        Ring ring = twoNodeRing();
        publish(ring, nodes);
        assertThat((Integer) JsonPath.read(nodes.get(2).get("/api/v1/node/ring", true).body(), "$.epoch")).isEqualTo(1);

        try (UdpKv a = nodes.get(0).udp(); UdpKv b = nodes.get(1).udp(); UdpKv c = nodes.get(2).udp()) {
            List<UdpKv> all = List.of(a, b, c);
            for (int k = 0; k < 300; k++) {
                UdpKv entry = all.get(k % 3);
                assertThat(entry.put(bytes("r" + k), bytes("v" + k), k).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
            for (int k = 0; k < 300; k++) {
                for (UdpKv entry : all) {
                    KVResponse got = entry.get(bytes("r" + k));
                    assertThat(got.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
                    assertThat(got.getValue()).isEqualTo(bytes("v" + k));
                    assertThat(got.getVersion()).isEqualTo(k);
                }
            }
            KVResponse count = c.call(Kv.command(Command.GET_MEMBERSHIP_COUNT));
            assertThat(count.getMembershipCount()).isEqualTo(2);
        }
        long onA = (long) nodes.get(0).metric("ringkv_storage_keys");
        long onB = (long) nodes.get(1).metric("ringkv_storage_keys");
        assertThat(nodes.get(2).metric("ringkv_storage_keys")).as("the node outside the ring stores nothing").isZero();
        assertThat(onA + onB).isEqualTo(300);
        assertThat(onA).as("keys are split between the owners").isBetween(60L, 240L);
    }

    @Test
    @Order(2)
    void redisClientsReachEveryKeyThroughAnyNode() {
        // Node 2 owns nothing under this ring: every RESP command it gets is forwarded to an owner.
        try (var jedis = new redis.clients.jedis.Jedis("127.0.0.1", nodes.get(2).respPort(), 5_000)) {
            for (int k = 0; k < 50; k++) {
                assertThat(jedis.get("r" + k)).isEqualTo("v" + k);
                assertThat(jedis.set("resp-" + k, "x" + k)).isEqualTo("OK");
            }
            assertThat(jedis.dbSize()).as("DBSIZE counts the answering node's own keys").isZero();
        }
        try (UdpKv a = nodes.get(0).udp()) {
            for (int k = 0; k < 50; k++) {
                assertThat(a.get(bytes("resp-" + k)).getValue()).isEqualTo(bytes("x" + k));
            }
        }
    }

    @Test
    @Order(2)
    void ringAwareRequestsToANonOwnerAreToldTheRing() {
        Ring ring = twoNodeRing();
        ByteString key = keyOwnedBy(ring, member(nodes.get(1)).id());
        try (TcpKv a = nodes.get(0).tcp()) {
            KVResponse reply = a.call(KVRequest.newBuilder().setCommand(Command.GET.code()).setKey(key).setRingEpoch(1).build());
            assertThat(reply.getErrCode()).isEqualTo(ErrorCode.NOT_RESPONSIBLE.code());
            assertThat(RingMessages.fromInfo(reply.getRing())).isEqualTo(ring);

            KVResponse plain = a.call(Kv.put(key, bytes("via-a-tcp"), 7));
            assertThat(plain.getErrCode()).as("a plain TCP request is forwarded").isEqualTo(ErrorCode.SUCCESS.code());
            KVResponse ringReply = a.call(Kv.command(Command.GET_RING));
            assertThat(RingMessages.fromInfo(ringReply.getRing()).epoch()).isEqualTo(1);
        }
        try (TcpKv b = nodes.get(1).tcp()) {
            KVResponse reply = b.call(KVRequest.newBuilder().setCommand(Command.GET.code()).setKey(key).setRingEpoch(1).build());
            assertThat(reply.getValue()).isEqualTo(bytes("via-a-tcp"));
        }

        smart = ClusterClient.connect(List.of(nodes.get(2).nodeAddress()));
        assertThat(smart.ring()).isEqualTo(ring);
        for (int k = 0; k < 100; k++) {
            smart.put(("smart-" + k).getBytes(StandardCharsets.UTF_8), ("s" + k).getBytes(StandardCharsets.UTF_8), k);
        }
        assertThat(smart.notResponsibleReplies()).as("a client with the current ring goes straight to owners").isZero();
    }

    @Test
    @Order(3)
    void aRetriedForwardedRemoveIsAnsweredFromTheOwnersCache() {
        Ring ring = twoNodeRing();
        ByteString key = keyOwnedBy(ring, member(nodes.get(1)).id());
        try (UdpKv client = nodes.get(0).udp()) {
            assertThat(client.put(key, bytes("x"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            ByteString id = Kv.newId();
            assertThat(client.call(id, Kv.remove(key)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(client.call(id, Kv.remove(key)).getErrCode()).as("the same messageID again, via the same node")
                    .isEqualTo(ErrorCode.SUCCESS.code());
            // The same client socket retrying through another entry node: the owner recognises the origin.
            client.target(nodes.get(2).nodeAddress());
            assertThat(client.call(id, Kv.remove(key)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(client.call(Kv.remove(key)).getErrCode()).as("a new messageID executes again")
                    .isEqualTo(ErrorCode.NO_SUCH_KEY.code());
        }
    }

    @Test
    @Order(4)
    void aThirdNodeJoinsByHandoffWhileClientsWriteAndRead() throws Exception {
        Ring before = twoNodeRing();
        Ring after = before.plus(member(nodes.get(2)));
        long seed = TestSeeds.seed();
        List<InetSocketAddress> entries = nodes.stream().map(NodeProcess::nodeAddress).toList();
        try (ClusterWorkload clients = new ClusterWorkload(KEYS, 4, seed, () -> entries)) {
            clients.load();
            clients.start();
            Thread.sleep(500);
            for (NodeProcess node : nodes.subList(0, 2)) {
                var started = node.call("POST", "/api/v1/node/handoff", "{\"ring\":" + json(after) + "}");
                assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                for (NodeProcess node : nodes.subList(0, 2)) {
                    assertThat((String) JsonPath.read(node.get("/api/v1/node/handoff", true).body(), "$.state"))
                            .isEqualTo("READY");
                }
            });
            long sent = 0;
            for (NodeProcess node : nodes.subList(0, 2)) {
                sent += ((Number) JsonPath.read(node.get("/api/v1/node/handoff", true).body(), "$.keysSent")).longValue();
            }
            publish(after, List.of(nodes.get(2), nodes.get(0), nodes.get(1)));
            Thread.sleep(1_000);
            clients.stop();
            System.out.printf("ClusterRoutingIT handoff (seed %d): %d keys streamed; %s%n", seed, sent, clients.summary());

            for (InetSocketAddress entry : entries) {
                assertThat(clients.verifyAll(entry)).as("wrong final reads via %s: %s", entry, clients.wrongReadReports())
                        .isZero();
            }
            assertThat(clients.wrongReads.get()).as("wrong reads: %s", clients.wrongReadReports()).isZero();
            assertThat(sent).as("keys streamed to the new node").isPositive();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            long total = 0;
            for (NodeProcess node : nodes) {
                assertThat((String) JsonPath.read(node.get("/api/v1/node/handoff", true).body(), "$.state"))
                        .isEqualTo("IDLE");
                total += (long) node.metric("ringkv_storage_keys");
            }
            assertThat(total).as("old owners dropped what moved: no key is stored twice").isLessThanOrEqualTo(KEYS + 600);
        });
        assertThat(nodes.get(2).metric("ringkv_storage_keys")).as("the new node holds its share").isPositive();
    }

    @Test
    @Order(5)
    void aRingAwareClientWithAnOldRingCatchesUpAfterOneNotResponsible() {
        Ring now = twoNodeRing().plus(member(nodes.get(2)));
        assertThat(smart.ring().epoch()).isEqualTo(1);
        for (int k = 0; k < 100; k++) {
            byte[] key = ("smart-" + k).getBytes(StandardCharsets.UTF_8);
            assertThat(smart.get(key).valueUtf8()).isEqualTo("s" + k);
            assertThat(smart.ownerOf(key).id()).isEqualTo(now.ownerOfKey(key).id());
        }
        assertThat(smart.ring().epoch()).isEqualTo(2);
        assertThat(smart.notResponsibleReplies()).as("one NOT_RESPONSIBLE teaches the client the new ring").isEqualTo(1);
    }

    @Test
    @Order(6)
    void theCliPrintsTheKeyRanges() {
        Ring now = twoNodeRing().plus(member(nodes.get(2)));
        String[] args = {"--port", "" + nodes.get(1).nodePort(), "keyrange"};
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int code = io.ringkv.client.cli.RingKvCli.run(args, java.io.InputStream.nullInputStream(),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8), new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("#")).toList();
        int ranges = now.members().stream().mapToInt(m -> now.rangesOf(m.id()).size()).sum();
        assertThat(lines).hasSize(ranges);
        for (String line : lines) {
            String[] parts = line.replace(";", "").split(",");
            long end = Long.parseUnsignedLong(parts[1], 16);
            assertThat(parts[2]).isEqualTo(now.ownerOf(end).address());
        }
    }

    @Test
    @Order(7)
    void aClusterNodeWithoutARingTakesNoKeysAndRestartsWithTheRingItLastKnew() {
        Ring now = twoNodeRing().plus(member(nodes.get(2)));
        // Its ECS is unreachable: the node must neither store keys as if alone nor lose the ring it was given.
        try (NodeProcess d = NodeProcess.start("ClusterRoutingIT-d", args -> args.put("ringkv.node.ecs",
                "http://127.0.0.1:9")); UdpKv kv = d.udp()) {
            KVResponse early = kv.put(bytes("early"), bytes("x"), 1);
            assertThat(early.getErrCode()).as("no ring yet: retry later").isEqualTo(ErrorCode.OVERLOAD.code());
            assertThat(d.metric("ringkv_storage_keys")).isZero();

            publish(now, List.of(d));
            assertThat(kv.put(bytes("early"), bytes("x"), 1).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(d.metric("ringkv_storage_keys")).as("forwarded to the owner, not kept").isZero();

            d.kill();
            d.restart();
            assertThat(kv.get(bytes("early")).getValue()).as("routes by the saved ring at once, the ECS still down")
                    .isEqualTo(bytes("x"));
            assertThat((Integer) JsonPath.read(d.get("/api/v1/node/ring", true).body(), "$.epoch")).isEqualTo(2);
        }
    }

    static ByteString keyOwnedBy(Ring ring, String id) {
        for (int i = 0; ; i++) {
            ByteString key = bytes("owned-" + i);
            if (ring.ownerOfKey(key.toByteArray()).id().equals(id)) {
                return key;
            }
        }
    }
}
