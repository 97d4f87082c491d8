package io.ringkv.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ringkv.client.Protocol;
import io.ringkv.client.RingKvClient;
import io.ringkv.common.RingPosition;
import io.ringkv.common.TestSeeds;
import io.ringkv.history.CheckResult;
import io.ringkv.history.History;
import io.ringkv.history.LinearizabilityChecker;
import io.ringkv.history.Operation;
import io.ringkv.history.Value;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingView;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 6's register workload under faults, on real JVMs: 5 nodes keep 3 copies of every key;
 * clients share a few keys, send each request to any live node over UDP and record every
 * operation, while 30% of the client datagrams are lost and 10% duplicated and reordered. The
 * history checker must find the history linearizable, which also proves at-most-once: a REMOVE
 * applied twice would answer SUCCESS twice for one PUT, or NO_SUCH_KEY after a PUT. The second
 * scenario adds a {@code kill -9} of one key's primary and a pause (SIGSTOP) of another's for three
 * failure timeouts.
 */
class ClusterHistoryIT {
    private static final int NODES = 5;
    private static final int KEYS = 6;
    private static final int CLIENTS = 8;
    private static final Duration FAILURE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration RUN = Duration.ofSeconds(45);
    private static final int OPERATIONS_PER_CLIENT_MAX = 20_000;
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void registersStayLinearizableAndAtMostOnceUnderLossDuplicationAndReordering() throws Exception {
        check(false);
    }

    /**
     * Found by this test (seed 2678923030619357339): a client's retry reaching a key's new primary
     * after a ring change ran the write a second time, because the node that forwarded the first
     * try kept no record of its unknown outcome; a REMOVE the old primary had applied was answered
     * NO_SUCH_KEY. Such writes are now {@code KvService.OUTCOME_UNKNOWN} and their retries are not
     * run again. It ran in the long profile until it had a record of passes: seeds
     * -1185922579547012479 (1,822 operations), -4865766629556604979 (1,595), 2586110722160929192
     * (1,292) and -5353381995719767382 (1,637), all OK.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void registersStayLinearizableThroughLossKillAndPause() throws Exception {
        check(true);
    }

    private void check(boolean crashAndPause) throws Exception {
        long seed = TestSeeds.seed();
        History history = new History();
        try (EcsProcess ecs = EcsProcess.start(NODES,
                "--ringkv.ecs.failure-timeout=" + FAILURE_TIMEOUT.toSeconds() + "s",
                EcsProcess.nodeJavaOptions("-Dringkv.faults.enabled=true"));
                ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
            JsonNode cluster = ecs.awaitCluster(NODES + " UP nodes", EcsProcess.READY_TIMEOUT,
                    c -> EcsProcess.upNodes(c).size() == NODES && c.path("operation").isNull());
            AtomicReference<List<InetSocketAddress>> live = new AtomicReference<>(EcsProcess.upNodes(cluster));
            List<ByteString> keys = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                keys.add(ByteString.copyFromUtf8("register-" + k));
            }
            long deadlineNanos = System.nanoTime() + RUN.toNanos();
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int process = i;
                Random random = new Random(seed + 0x9E3779B97F4A7C15L * (i + 1));
                clients.add(pool.submit(() -> run(live, keys, history, process, random, deadlineNanos)));
            }

            NodeProcess.sleep(Duration.ofSeconds(3));
            String lossy = "{\"network\":[{\"protocol\":\"udp\",\"dropPercent\":30,\"duplicatePercent\":10,"
                    + "\"reorder\":true}],\"seed\":" + seed + "}";
            ecs.callUpNodes(cluster, "POST", "/api/v1/node/faults", lossy);

            NodeProcess.sleep(Duration.ofSeconds(5));
            if (crashAndPause) {
                crashAndPause(ecs, keys, live, seed);
            }
            for (Future<?> client : clients) {
                client.get(RUN.plusSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        verify(history, seed);
    }

    /** kill -9 the primary of one key, then pause the primary of another for three failure timeouts. */
    private static void crashAndPause(EcsProcess ecs, List<ByteString> keys,
            AtomicReference<List<InetSocketAddress>> live, long seed) {
        EcsProcess.LaunchedNode killed = ecs.launched(primaryOf(ecs, keys.get(0)));
        EcsProcess.killNode(killed);
        System.out.printf("ClusterHistoryIT (seed %d): killed %s, the primary of %s%n", seed, killed.id(),
                keys.get(0).toStringUtf8());
        awaitLive(ecs, live, NODES - 1);

        NodeProcess.sleep(Duration.ofSeconds(3));
        EcsProcess.LaunchedNode paused = ecs.launched(primaryOf(ecs, keys.get(1)));
        EcsProcess.signal(paused.pid(), "STOP");
        System.out.printf("ClusterHistoryIT (seed %d): paused %s, the primary of %s%n", seed, paused.id(),
                keys.get(1).toStringUtf8());
        NodeProcess.sleep(FAILURE_TIMEOUT.multipliedBy(3));
        EcsProcess.signal(paused.pid(), "CONT");
        awaitLive(ecs, live, NODES - 1);
    }

    private static void verify(History history, long seed) {
        List<Operation> operations = history.operations();
        long start = System.nanoTime();
        CheckResult result = new LinearizabilityChecker().check(operations);
        System.out.printf("ClusterHistoryIT (seed %d): %d operations (%d completed OK), checked in %d ms: %s%n", seed,
                operations.size(), operations.stream().filter(op -> op.outcome() == Operation.Outcome.OK).count(),
                (System.nanoTime() - start) / 1_000_000, result);
        assertThat(operations.stream().filter(op -> op.kind() == Operation.Kind.GET
                && op.outcome() == Operation.Outcome.OK && op.reply().found()))
                .as("reads that found a value").hasSizeGreaterThan(300);
        if (!(result instanceof CheckResult.Ok)) {
            throw new AssertionError("seed " + seed + ": " + result + "\nhistory saved to "
                    + RecordingKv.save(operations, "ClusterHistoryIT-" + seed));
        }
    }

    /** The id of the key's primary in the ring the ECS publishes now. */
    private static String primaryOf(EcsProcess ecs, ByteString key) {
        var response = ecs.call("GET", "/api/v1/ring", null);
        Ring ring = JSON.readValue(response.body(), RingView.class).toRing();
        return ring.replicasOf(RingPosition.of(key.toByteArray())).getFirst().id();
    }

    /** Waits until the ECS shows {@code count} UP nodes and no operation, and points clients at them. */
    private static void awaitLive(EcsProcess ecs, AtomicReference<List<InetSocketAddress>> live, int count) {
        JsonNode cluster = ecs.awaitCluster(count + " UP nodes", Duration.ofMinutes(3),
                c -> EcsProcess.upNodes(c).size() == count && c.path("operation").isNull());
        live.set(EcsProcess.upNodes(cluster));
    }

    /**
     * Short first timeout: with 30% of datagrams lost each way half the tries fail. Six tries (2.5 s
     * in all) outlast a lost datagram many times over, yet a client whose node was just killed or
     * paused records an unknown outcome and moves on instead of waiting for long.
     */
    private static RingKvClient newClient(InetSocketAddress node) {
        return RingKvClient.builder().server(node).protocol(Protocol.UDP).initialTimeoutMs(40).tries(6)
                .overloadRetriesMax(200).build();
    }

    private static void run(AtomicReference<List<InetSocketAddress>> live, List<ByteString> keys, History history,
            int process, Random random, long deadlineNanos) {
        RecordingKv kv = new RecordingKv(history, process);
        Map<InetSocketAddress, RingKvClient> clients = new HashMap<>();
        try {
            for (int n = 0; n < OPERATIONS_PER_CLIENT_MAX && System.nanoTime() - deadlineNanos < 0; n++) {
                List<InetSocketAddress> nodes = live.get();
                RingKvClient client = clients.computeIfAbsent(nodes.get(random.nextInt(nodes.size())),
                        ClusterHistoryIT::newClient);
                ByteString key = keys.get(random.nextInt(keys.size()));
                int roll = random.nextInt(100);
                if (roll < 45) {
                    kv.put(client, key, Value.of("client-" + process + "-op-" + n, random.nextInt(4)));
                } else if (roll < 60) {
                    kv.remove(client, key);
                } else {
                    kv.get(client, key);
                }
            }
        } finally {
            clients.values().forEach(RingKvClient::close);
        }
    }
}
