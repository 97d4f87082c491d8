package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 7's cluster without an ECS, on real JVMs: five nodes from a static peer list
 * ({@code ringkv.cluster.peers}) gossip their membership (SWIM, 500 ms period, authenticated by a
 * cluster key) and each computes its ring from it, with three copies of every key.
 *
 * <ul>
 *   <li>A node stopped with SIGSTOP for half the minimum suspicion timeout is declared dead by
 *       nobody: every node counts five members throughout, and none reports a death.
 *   <li>A node killed with {@code kill -9} is dropped from every other node's membership and ring
 *       within a bound, every key stays readable at its value through every survivor, and keys are
 *       then overwritten. Restarted, the node learns that the cluster went on without it, drops its
 *       stale data, rejoins, pulls what it leads, and every key reads back at its newest value
 *       through every node, with three copies of each stored.
 *   <li>A node stopped until the others declare it dead, and written around meanwhile, refutes
 *       its death when resumed, drops its data as stale and catches up the same way.
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StaticClusterIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int NODES = 5;
    private static final int GOSSIP_PORT_OFFSET = 1_000;
    private static final Duration PERIOD = Duration.ofMillis(500);
    /** SwimConfig's suspicion multiplier (4) times the period: the suspicion timeout once confirmed. */
    private static final Duration SUSPICION_MIN = PERIOD.multipliedBy(4);
    /**
     * From a kill to every survivor without it: a few periods until probes fail, then the suspicion
     * timeout (up to six times its minimum without confirmations), and room for a loaded machine.
     */
    private static final Duration DETECTION_BOUND = SUSPICION_MIN.multipliedBy(6).plusSeconds(6);
    private static final Duration FORM_TIMEOUT = Duration.ofMinutes(2);
    private static final int KEYS = 400;
    /** How long a reader retries a key answered OVERLOAD (a rejoined node pulling its ranges). */
    private static final Duration RETRY_PATIENCE = Duration.ofSeconds(20);
    private static final Random RANDOM = new Random();

    private static final List<NodeProcess> nodes = new ArrayList<>();
    private static final Map<ByteString, ByteString> values = new HashMap<>();

    @BeforeAll
    static void startCluster() {
        int[] ports = NodeProcess.freePortBlock(NODES, GOSSIP_PORT_OFFSET);
        StringJoiner peers = new StringJoiner(",");
        for (int port : ports) {
            peers.add("127.0.0.1:" + port);
        }
        for (int i = 0; i < NODES; i++) {
            int port = ports[i];
            nodes.add(NodeProcess.spawn("static-" + (i + 1), args -> {
                args.put("ringkv.node.port", Integer.toString(port));
                args.put("ringkv.cluster.peers", peers.toString());
                args.put("ringkv.cluster.key", "static-cluster-it-key");
                args.put("ringkv.cluster.gossip-port-offset", Integer.toString(GOSSIP_PORT_OFFSET));
                args.put("ringkv.cluster.gossip-period", PERIOD.toMillis() + "ms");
                args.put("ringkv.cluster.bootstrap-wait", "2s");
                args.put("ringkv.replication.factor", "3");
                args.put("ringkv.ring.vnodes", "64");
            }));
        }
        for (NodeProcess node : nodes) {
            node.awaitReady();
        }
        awaitMembership(nodes, NODES, FORM_TIMEOUT);
        Set<String> all = new HashSet<>();
        nodes.forEach(n -> all.add("127.0.0.1:" + n.nodePort()));
        Ring formed = awaitSameRing(nodes, all);
        System.out.printf("StaticClusterIT: %d nodes formed a cluster, ring epoch %d%n", NODES, formed.epoch());
    }

    @AfterAll
    static void stopCluster() {
        nodes.forEach(NodeProcess::close);
    }

    @Test
    @Order(1)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aMemberPausedForHalfTheSuspicionTimeoutIsNotDeclaredDead() {
        writeKeys(KEYS, "v1");
        NodeProcess paused = nodes.get(2);
        List<NodeProcess> others = new ArrayList<>(nodes);
        others.remove(paused);
        Duration pause = SUSPICION_MIN.dividedBy(2);
        EcsProcess.signal(paused.pid(), "STOP");
        long stoppedAt = System.nanoTime();
        try {
            // Watch the others while it is stopped (it cannot answer) ...
            while (System.nanoTime() - stoppedAt < pause.toNanos()) {
                assertCounts(others, NODES, "while " + paused.name() + " is stopped");
                NodeProcess.sleep(Duration.ofMillis(100));
            }
        } finally {
            EcsProcess.signal(paused.pid(), "CONT");
        }
        // ... and everyone for a while after: a death declared late would show here.
        long until = System.nanoTime() + SUSPICION_MIN.multipliedBy(4).toNanos();
        while (System.nanoTime() < until) {
            assertCounts(nodes, NODES, "after " + paused.name() + " resumed");
            NodeProcess.sleep(Duration.ofMillis(200));
        }
        for (NodeProcess node : nodes) {
            assertThat(node.output()).as("%s's log", node.name()).doesNotContain(" is dead (incarnation")
                    .doesNotContain("declared this node dead");
        }
        readAll(nodes, "after the pause");
    }

    @Test
    @Order(2)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aKilledMemberLeavesEveryRingAndRejoinsWithCurrentData() {
        if (values.isEmpty()) {
            writeKeys(KEYS, "v1");
        }
        NodeProcess victim = nodes.get(1);
        List<NodeProcess> survivors = new ArrayList<>(nodes);
        survivors.remove(victim);
        long epochBefore = ring(survivors.get(0)).epoch();

        long killedAt = System.nanoTime();
        victim.kill();
        awaitMembership(survivors, NODES - 1, DETECTION_BOUND);
        long detectedMs = (System.nanoTime() - killedAt) / 1_000_000;
        Set<String> expected = new HashSet<>();
        survivors.forEach(n -> expected.add("127.0.0.1:" + n.nodePort()));
        Ring ring = awaitSameRing(survivors, expected);
        System.out.printf("StaticClusterIT: kill -9 %s -> %d survivors count %d members after %d ms; ring epoch %d -> %d%n",
                victim.name(), survivors.size(), NODES - 1, detectedMs, epochBefore, ring.epoch());
        assertThat(ring.epoch()).isGreaterThan(epochBefore);

        readAll(survivors, "with " + victim.name() + " dead");
        // Overwrite half the keys and remove a tenth while it is away: its copies of those are stale now.
        List<ByteString> keys = new ArrayList<>(values.keySet());
        for (int i = 0; i < keys.size(); i++) {
            ByteString key = keys.get(i);
            try (UdpKv kv = new UdpKv(survivors.get(i % survivors.size()).nodeAddress())) {
                if (i % 10 == 0) {
                    assertThat(kv.remove(key).getErrCode()).as("REMOVE while a member is dead")
                            .isEqualTo(ErrorCode.SUCCESS.code());
                    values.remove(key);
                } else if (i % 2 == 0) {
                    ByteString value = Kv.bytes("v2-" + i);
                    assertThat(kv.put(key, value, 2).getErrCode()).as("PUT while a member is dead")
                            .isEqualTo(ErrorCode.SUCCESS.code());
                    values.put(key, value);
                }
            }
        }

        long restartedAt = System.nanoTime();
        victim.restart();
        awaitMembership(nodes, NODES, FORM_TIMEOUT);
        long rejoinedMs = (System.nanoTime() - restartedAt) / 1_000_000;
        expected.add("127.0.0.1:" + victim.nodePort());
        Ring back = awaitSameRing(nodes, expected);
        System.out.printf("StaticClusterIT: %s restarted -> all %d count %d members after %d ms; ring epoch %d%n",
                victim.name(), NODES, NODES, rejoinedMs, back.epoch());
        assertThat(victim.output()).contains("declared this node dead before it restarted");

        readAll(nodes, "after " + victim.name() + " rejoined");
        awaitCopies(3L * values.size());
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aMemberPausedUntilDeclaredDeadDropsItsStaleDataWhenItResumes() {
        if (values.isEmpty()) {
            writeKeys(KEYS, "v1");
        }
        NodeProcess paused = nodes.get(3);
        List<NodeProcess> others = new ArrayList<>(nodes);
        others.remove(paused);
        EcsProcess.signal(paused.pid(), "STOP");
        try {
            awaitMembership(others, NODES - 1, DETECTION_BOUND);
            // Written while it is out of the ring: its copies of these are stale when it wakes.
            List<ByteString> keys = new ArrayList<>(values.keySet());
            for (int i = 0; i < keys.size(); i += 3) {
                ByteString value = Kv.bytes("v3-" + i);
                try (UdpKv kv = new UdpKv(others.get(i % others.size()).nodeAddress())) {
                    assertThat(kv.put(keys.get(i), value, 3).getErrCode()).as("PUT while a member is paused")
                            .isEqualTo(ErrorCode.SUCCESS.code());
                }
                values.put(keys.get(i), value);
            }
        } finally {
            EcsProcess.signal(paused.pid(), "CONT");
        }
        awaitMembership(nodes, NODES, FORM_TIMEOUT);
        Set<String> all = new HashSet<>();
        nodes.forEach(n -> all.add("127.0.0.1:" + n.nodePort()));
        Ring back = awaitSameRing(nodes, all);
        System.out.printf("StaticClusterIT: %s paused until declared dead, resumed; back in ring epoch %d%n",
                paused.name(), back.epoch());
        assertThat(paused.output()).contains("declared this node dead while it");
        readAll(nodes, "after " + paused.name() + " resumed");
        awaitCopies(3L * values.size());
    }

    // ---- helpers ----

    private static void writeKeys(int count, String prefix) {
        for (int i = 0; i < count; i++) {
            ByteString key = Kv.bytes("static-" + i);
            ByteString value = Kv.bytes(prefix + "-" + i + "-" + RANDOM.nextInt(1_000_000));
            try (UdpKv kv = new UdpKv(nodes.get(i % nodes.size()).nodeAddress())) {
                assertThat(kv.put(key, value, 1).getErrCode()).as("PUT %s", key.toStringUtf8())
                        .isEqualTo(ErrorCode.SUCCESS.code());
            }
            values.put(key, value);
        }
    }

    /** Every key at its expected value, and every removed one absent, through every node given. */
    private static void readAll(List<NodeProcess> through, String when) {
        for (NodeProcess node : through) {
            try (UdpKv kv = new UdpKv(node.nodeAddress())) {
                for (int i = 0; i < KEYS; i++) {
                    ByteString key = Kv.bytes("static-" + i);
                    KVResponse reply = getPatiently(kv, key);
                    ByteString expected = values.get(key);
                    if (expected == null) {
                        assertThat(reply.getErrCode()).as("GET removed %s through %s %s", key.toStringUtf8(),
                                node.name(), when).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
                    } else {
                        assertThat(reply.getErrCode()).as("GET %s through %s %s", key.toStringUtf8(), node.name(),
                                when).isEqualTo(ErrorCode.SUCCESS.code());
                        assertThat(reply.getValue().toStringUtf8()).as("value of %s through %s %s",
                                key.toStringUtf8(), node.name(), when).isEqualTo(expected.toStringUtf8());
                    }
                }
            }
        }
    }

    /**
     * A GET retried while the answer is OVERLOAD, as clients do, for at most {@link #RETRY_PATIENCE}:
     * a rejoined node answers so for the ranges it is still pulling.
     */
    private static KVResponse getPatiently(UdpKv kv, ByteString key) {
        long deadline = System.nanoTime() + RETRY_PATIENCE.toNanos();
        KVResponse reply = kv.get(key);
        while (reply.getErrCode() == ErrorCode.OVERLOAD.code() && System.nanoTime() < deadline) {
            NodeProcess.sleep(Duration.ofMillis(Math.max(10, reply.getOverloadWaitTime())));
            reply = kv.get(key);
        }
        return reply;
    }

    private static int membershipCount(NodeProcess node) {
        try (UdpKv kv = new UdpKv(node.nodeAddress(), Duration.ofMillis(500))) {
            return kv.call(Kv.command(Command.GET_MEMBERSHIP_COUNT)).getMembershipCount();
        }
    }

    private static void assertCounts(List<NodeProcess> through, int count, String when) {
        for (NodeProcess node : through) {
            assertThat(membershipCount(node)).as("GET_MEMBERSHIP_COUNT of %s %s", node.name(), when)
                    .isEqualTo(count);
        }
    }

    private static void awaitMembership(List<NodeProcess> through, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (NodeProcess node : through) {
            int seen = membershipCount(node);
            while (seen != count) {
                assertThat(System.nanoTime()).as("GET_MEMBERSHIP_COUNT of %s is %d, not %d, after %s", node.name(),
                        seen, count, timeout).isLessThan(deadline);
                NodeProcess.sleep(Duration.ofMillis(50));
                seen = membershipCount(node);
            }
        }
    }

    private static Ring ring(NodeProcess node) {
        try (UdpKv kv = new UdpKv(node.nodeAddress())) {
            KVResponse reply = kv.call(Kv.command(Command.GET_RING));
            assertThat(reply.hasRing()).as("%s has a ring", node.name()).isTrue();
            return RingMessages.fromInfo(reply.getRing());
        }
    }

    /** Waits until every node routes by one ring (same epoch and members), with exactly these members. */
    private static Ring awaitSameRing(List<NodeProcess> through, Set<String> members) {
        long deadline = System.nanoTime() + DETECTION_BOUND.toNanos();
        while (true) {
            List<Ring> rings = through.stream().map(StaticClusterIT::ring).toList();
            Ring first = rings.getFirst();
            Set<String> ids = new HashSet<>();
            first.members().stream().map(Member::id).forEach(ids::add);
            if (ids.equals(members) && rings.stream().allMatch(r -> r.epoch() == first.epoch() && r.equals(first))) {
                return first;
            }
            assertThat(System.nanoTime()).as("one ring of %s on every node; they have %s", members,
                    rings.stream().map(r -> r.epoch() + ":" + r.members().stream().map(Member::id).toList()).toList())
                    .isLessThan(deadline);
            NodeProcess.sleep(Duration.ofMillis(100));
        }
    }

    /** The keys every node stores (each copy counts) reach {@code copies}, once repair is done. */
    private static void awaitCopies(long copies) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long stored = storedKeys();
        while (stored != copies) {
            assertThat(System.nanoTime()).as("%d copies stored, not %d", stored, copies).isLessThan(deadline);
            NodeProcess.sleep(Duration.ofMillis(200));
            stored = storedKeys();
        }
    }

    private static long storedKeys() {
        long sum = 0;
        for (NodeProcess node : nodes) {
            JsonNode status = JSON.readTree(node.get("/api/v1/node", true).body());
            sum += status.path("keys").asLong();
        }
        return sum;
    }
}
