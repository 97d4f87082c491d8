package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.jayway.jsonpath.JsonPath;
import io.ringkv.common.TestSeeds;
import io.ringkv.wire.Checksum;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import io.ringkv.wire.proto.Msg;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The UDP request/reply protocol of one node (design §2.1), over real datagrams to a real JVM.
 * One node serves the whole class; every test uses keys prefixed with its own name, so tests do not
 * see each other's data (only {@link #wipeoutRemovesEverything} clears the store, and it runs alone
 * like every test here).
 *
 * <p>This class runs the suite on the {@code memory} engine; a subclass that overrides
 * {@link #storageArgs()} runs the same tests on another engine or setting ({@link
 * LogEngineProtocolIT}, {@link LogEngineNoFsyncProtocolIT}). The node belongs to the test instance,
 * of which there is one per class, so two classes never share a node.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeProtocolIT {
    /** Long enough for a reply on loopback, short enough to keep "no reply" tests quick. */
    private static final Duration NO_REPLY_WAIT = Duration.ofSeconds(1);

    private NodeProcess node;
    private UdpKv client;
    private String prefix;

    /** The storage settings of the node under test, as {@code --name=value} arguments. */
    protected Map<String, String> storageArgs() {
        return Map.of("ringkv.storage.engine", "memory");
    }

    /** The node under test, for a subclass's own tests. */
    protected NodeProcess node() {
        return node;
    }

    @BeforeAll
    void startNode() {
        node = NodeProcess.start(getClass().getSimpleName(), args -> args.putAll(storageArgs()));
    }

    @AfterAll
    void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @BeforeEach
    void openClient(TestInfo test) {
        client = node.udp();
        // Short, so that prefix and name fit the 32-byte key limit; distinct per test and parameter.
        prefix = Integer.toHexString((test.getTestMethod().orElseThrow().getName() + test.getDisplayName()).hashCode())
                + ":";
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    private ByteString key(String name) {
        return bytes(prefix + name);
    }

    private static ByteString value(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    private static void assertCode(KVResponse reply, ErrorCode expected) {
        assertThat(reply.getErrCode())
                .as("reply %s, expected %s", Kv.describe(reply), expected)
                .isEqualTo(expected.code());
    }

    // ----- PUT / GET / REMOVE -----

    @ParameterizedTest(name = "{0}-byte value")
    @ValueSource(ints = {0, 1, 8, 32, 2048, 10_000})
    void putThenGetReturnsTheValueAndVersion(int size) {
        ByteString key = key("k");
        ByteString value = value(size, size);
        assertCode(client.put(key, value, 7), ErrorCode.SUCCESS);

        KVResponse got = client.get(key);
        assertCode(got, ErrorCode.SUCCESS);
        assertThat(got.getValue()).isEqualTo(value);
        assertThat(got.getVersion()).isEqualTo(7);
    }

    @Test
    void putReplacesTheValueAndVersion() {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("first"), 1), ErrorCode.SUCCESS);
        assertCode(client.put(key, bytes("second"), 2), ErrorCode.SUCCESS);

        KVResponse got = client.get(key);
        assertThat(got.getValue().toStringUtf8()).isEqualTo("second");
        assertThat(got.getVersion()).isEqualTo(2);
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {-1, -42, Integer.MIN_VALUE, Integer.MAX_VALUE, 0})
    void versionsAreStoredAsGiven(int version) {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("v"), version), ErrorCode.SUCCESS);
        KVResponse got = client.get(key);
        assertCode(got, ErrorCode.SUCCESS);
        assertThat(got.getVersion()).isEqualTo(version);
    }

    @Test
    void putWithoutVersionStoresVersionZero() {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("old"), 5), ErrorCode.SUCCESS);
        assertCode(client.call(Kv.put(key, bytes("v"))), ErrorCode.SUCCESS);
        KVResponse got = client.get(key);
        assertThat(got.getValue().toStringUtf8()).isEqualTo("v");
        assertThat(got.getVersion()).isZero();
    }

    @Test
    void getOfMissingKeyIsNoSuchKey() {
        assertCode(client.get(key("never-put")), ErrorCode.NO_SUCH_KEY);
    }

    @Test
    void removeDeletesAndASecondRemoveIsNoSuchKey() {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("v"), 1), ErrorCode.SUCCESS);

        assertCode(client.remove(key), ErrorCode.SUCCESS);
        assertCode(client.get(key), ErrorCode.NO_SUCH_KEY);
        assertCode(client.remove(key), ErrorCode.NO_SUCH_KEY);
    }

    @Test
    void removeOfMissingKeyIsNoSuchKey() {
        assertCode(client.remove(key("never-put")), ErrorCode.NO_SUCH_KEY);
    }

    // ----- validation -----

    @Test
    void unknownCommandIsAnsweredUnknownCommand() {
        assertCode(client.call(Kv.command(99)), ErrorCode.UNKNOWN_COMMAND);
        assertCode(client.call(Kv.command(0)), ErrorCode.UNKNOWN_COMMAND);
    }

    @Test
    void payloadThatIsNotARequestIsAnsweredUnknownCommand() {
        ByteString id = Kv.newId();
        // The tag 0xff 0xff 0x01 has wire type 7, which does not exist, so the payload cannot parse.
        ByteString garbagePayload = ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x01});
        client.send(Envelope.seal(id, garbagePayload).toByteArray());

        KVResponse reply = client.awaitReply(id, Duration.ofSeconds(5)).orElseThrow();
        assertCode(reply, ErrorCode.UNKNOWN_COMMAND);
    }

    @ParameterizedTest(name = "{0}-byte key")
    @ValueSource(ints = {0, 33, 128})
    void keysOutsideOneTo32BytesAreInvalid(int size) {
        ByteString key = value(size, size);
        assertCode(client.put(key, bytes("v"), 1), ErrorCode.INVALID_KEY);
        assertCode(client.get(key), ErrorCode.INVALID_KEY);
        assertCode(client.remove(key), ErrorCode.INVALID_KEY);
    }

    @Test
    void thirtyTwoByteKeyIsValid() {
        ByteString key = value(32, 32);
        assertCode(client.put(key, bytes("v"), 1), ErrorCode.SUCCESS);
        assertCode(client.get(key), ErrorCode.SUCCESS);
        assertCode(client.remove(key), ErrorCode.SUCCESS);
    }

    @ParameterizedTest(name = "{0}-byte value")
    @ValueSource(ints = {10_001, 12_000})
    void valuesOver10000BytesAreInvalidAndNotStored(int size) {
        ByteString fresh = key("fresh");
        assertCode(client.put(fresh, value(size, 1), 1), ErrorCode.INVALID_VALUE);
        assertCode(client.get(fresh), ErrorCode.NO_SUCH_KEY);

        ByteString existing = key("existing");
        assertCode(client.put(existing, bytes("kept"), 3), ErrorCode.SUCCESS);
        assertCode(client.put(existing, value(size, 2), 4), ErrorCode.INVALID_VALUE);
        KVResponse got = client.get(existing);
        assertThat(got.getValue().toStringUtf8()).isEqualTo("kept");
        assertThat(got.getVersion()).isEqualTo(3);
    }

    // ----- at-most-once -----

    @Test
    void retriedPutIsNotExecutedAgain() {
        ByteString key = key("k");
        ByteString a = Kv.newId();
        assertCode(client.call(a, Kv.put(key, bytes("v1"), 1)), ErrorCode.SUCCESS);
        assertCode(client.call(Kv.newId(), Kv.put(key, bytes("v2"), 2)), ErrorCode.SUCCESS);

        assertCode(client.call(a, Kv.put(key, bytes("v1"), 1)), ErrorCode.SUCCESS);

        KVResponse got = client.get(key);
        assertThat(got.getValue().toStringUtf8()).as("the retried PUT must not overwrite v2").isEqualTo("v2");
        assertThat(got.getVersion()).isEqualTo(2);
    }

    @Test
    void retriedRemoveGetsTheFirstReplyNotNoSuchKey() {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("v"), 1), ErrorCode.SUCCESS);
        ByteString c = Kv.newId();

        assertCode(client.call(c, Kv.remove(key)), ErrorCode.SUCCESS);
        assertCode(client.call(c, Kv.remove(key)), ErrorCode.SUCCESS);
        assertCode(client.remove(key), ErrorCode.NO_SUCH_KEY);
    }

    @Test
    void retriedGetReturnsTheFirstReply() {
        ByteString key = key("k");
        assertCode(client.put(key, bytes("old"), 1), ErrorCode.SUCCESS);
        ByteString d = Kv.newId();
        assertThat(client.call(d, Kv.get(key)).getValue().toStringUtf8()).isEqualTo("old");

        assertCode(client.put(key, bytes("new"), 2), ErrorCode.SUCCESS);

        KVResponse replayed = client.call(d, Kv.get(key));
        assertThat(replayed.getValue().toStringUtf8()).isEqualTo("old");
        assertThat(replayed.getVersion()).isEqualTo(1);
        assertThat(client.get(key).getValue().toStringUtf8()).isEqualTo("new");
    }

    @Test
    void aRequestSentOnceIsAnsweredWithoutFurtherTraffic() {
        // No retry and nothing else sent: a reply held back until the node reads again never comes.
        ByteString key = key("k");
        for (KVRequest request : List.of(Kv.put(key, bytes("v"), 1), Kv.get(key), Kv.remove(key))) {
            ByteString id = Kv.newId();
            client.send(Envelope.sealRequest(id, request));
            assertCode(client.awaitReply(id, Duration.ofSeconds(5)).orElseThrow(
                    () -> new AssertionError("no reply to a lone " + request.getCommand())), ErrorCode.SUCCESS);
        }
    }

    @Test
    void retryGetsTheIdenticalReplyAndIsCountedAsAReplay() {
        ByteString key = key("k");
        ByteString id = Kv.newId();
        byte[] request = Envelope.sealRequest(id, Kv.put(key, bytes("v"), 1));
        client.send(request);
        var first = client.receive(Duration.ofSeconds(5)).orElseThrow();
        double replaysBefore = node.metric("ringkv_reply_cache_replays_total");

        client.send(request);
        var second = client.receive(Duration.ofSeconds(5)).orElseThrow();

        assertThat(second).isEqualTo(first);
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(node.metric("ringkv_reply_cache_replays_total"))
                        .isGreaterThanOrEqualTo(replaysBefore + 1));
    }

    @Test
    void sameMessageIdFromAnotherClientIsExecutedAgain() {
        // The cache key includes the client's address and port, so another socket is another client.
        ByteString key = key("k");
        ByteString id = Kv.newId();
        assertCode(client.call(id, Kv.put(key, bytes("v1"), 1)), ErrorCode.SUCCESS);
        try (UdpKv other = node.udp()) {
            assertCode(other.call(id, Kv.put(key, bytes("v2"), 2)), ErrorCode.SUCCESS);
        }
        assertThat(client.get(key).getValue().toStringUtf8()).isEqualTo("v2");
    }

    // ----- bad datagrams -----

    @Test
    void badChecksumIsDroppedUnexecutedAndCounted() {
        ByteString key = key("k");
        ByteString id = Kv.newId();
        KVRequest put = Kv.put(key, bytes("v"), 1);
        Msg sealed = Envelope.seal(id, put.toByteString());
        byte[] corrupt = sealed.toBuilder().setCheckSum(sealed.getCheckSum() ^ 1).build().toByteArray();
        double before = discarded("checksum");

        client.send(corrupt);

        assertThat(client.awaitReply(id, NO_REPLY_WAIT)).as("reply to a bad checksum").isEmpty();
        awaitMetricAbove("checksum", before);
        assertCode(client.get(key), ErrorCode.NO_SUCH_KEY);
        // The dropped request left nothing in the reply cache: the same ID, sealed properly, runs.
        assertCode(client.call(id, put), ErrorCode.SUCCESS);
        assertCode(client.get(key), ErrorCode.SUCCESS);
    }

    @Test
    void missingChecksumIsDroppedAndCounted() {
        ByteString id = Kv.newId();
        byte[] noChecksum = Msg.newBuilder().setMessageID(id).setPayload(Kv.command(Command.IS_ALIVE).toByteString())
                .build().toByteArray();
        double before = discarded("checksum");

        client.send(noChecksum);

        assertThat(client.awaitReply(id, NO_REPLY_WAIT)).isEmpty();
        awaitMetricAbove("checksum", before);
    }

    @Test
    void envelopeWithoutMessageIdIsDroppedAndCounted() {
        ByteString payload = Kv.command(Command.IS_ALIVE).toByteString();
        byte[] noId = Msg.newBuilder().setPayload(payload).setCheckSum(Checksum.of(ByteString.EMPTY, payload))
                .build().toByteArray();
        double before = discarded("malformed");

        client.send(noId);

        assertThat(client.receive(NO_REPLY_WAIT)).isEmpty();
        awaitMetricAbove("malformed", before);
        assertNodeServes();
    }

    @Test
    void emptyDatagramIsDroppedAndCounted() {
        double before = discarded("malformed");
        client.send(new byte[0]);

        assertThat(client.receive(NO_REPLY_WAIT)).isEmpty();
        awaitMetricAbove("malformed", before);
        assertNodeServes();
    }

    @Test
    void truncatedDatagramIsDroppedAndCounted() {
        ByteString id = Kv.newId();
        byte[] whole = Envelope.sealRequest(id, Kv.put(key("k"), value(100, 3), 1));
        // Cut inside the messageID field, so the length it announces overruns the datagram.
        byte[] truncated = Arrays.copyOf(whole, 10);
        double before = discarded("malformed");

        client.send(truncated);

        assertThat(client.receive(NO_REPLY_WAIT)).isEmpty();
        awaitMetricAbove("malformed", before);
        assertNodeServes();
    }

    @Test
    void randomGarbageIsDroppedAndCounted() {
        long seed = TestSeeds.seed();
        byte[] garbage = new byte[9_000];
        new Random(seed).nextBytes(garbage);
        double before = discarded("malformed") + discarded("checksum");

        client.send(garbage);

        assertThat(client.receive(NO_REPLY_WAIT)).as("seed %d", seed).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(discarded("malformed")
                + discarded("checksum")).as("seed %d", seed).isGreaterThan(before));
        assertNodeServes();
    }

    @Test
    void wrongWireTypeIsDroppedAndCounted() throws IOException {
        // messageID (field 1) encoded as a varint instead of bytes, then a correct payload and checksum.
        ByteString payload = Kv.command(Command.IS_ALIVE).toByteString();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(1, 12345);
        out.writeBytes(2, payload);
        out.writeFixed64(3, Checksum.of(ByteString.EMPTY, payload));
        out.flush();
        double before = discarded("malformed");

        client.send(bytes.toByteArray());

        assertThat(client.receive(NO_REPLY_WAIT)).isEmpty();
        awaitMetricAbove("malformed", before);
        assertNodeServes();
    }

    @Test
    void largestPossibleGarbageDatagramIsDroppedAndCounted() {
        // 65,507 bytes is both the node's datagram limit and the IPv4 UDP maximum, so the node's
        // "oversized" path cannot be reached over 127.0.0.1; this checks the edge below it.
        byte[] big = new byte[65_507];
        new Random(7).nextBytes(big);
        double before = discarded("malformed") + discarded("checksum") + discarded("oversized");

        client.send(big);

        assertThat(client.receive(NO_REPLY_WAIT)).isEmpty();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                discarded("malformed") + discarded("checksum") + discarded("oversized")).isGreaterThan(before));
        assertNodeServes();
    }

    private double discarded(String reason) {
        return node.metric("ringkv_discarded_total", "reason=\"" + reason + "\"");
    }

    private void awaitMetricAbove(String reason, double before) {
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(discarded(reason)).as("ringkv_discarded_total{reason=%s}", reason)
                        .isGreaterThan(before));
    }

    private void assertNodeServes() {
        assertCode(client.call(Kv.command(Command.IS_ALIVE)), ErrorCode.SUCCESS);
    }

    // ----- node commands -----

    @Test
    void isAliveAnswersSuccess() {
        assertCode(client.call(Kv.command(Command.IS_ALIVE)), ErrorCode.SUCCESS);
    }

    @Test
    void getPidIsTheProcessId() {
        KVResponse reply = client.call(Kv.command(Command.GET_PID));
        assertCode(reply, ErrorCode.SUCCESS);
        assertThat((long) reply.getPid()).isEqualTo(node.pid());
    }

    @Test
    void membershipCountOfALoneNodeIsOne() {
        KVResponse reply = client.call(Kv.command(Command.GET_MEMBERSHIP_COUNT));
        assertCode(reply, ErrorCode.SUCCESS);
        assertThat(reply.hasMembershipCount()).isTrue();
        assertThat(reply.getMembershipCount()).isEqualTo(1);
    }

    @Test
    void wipeoutRemovesEverything() {
        List<ByteString> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(key("k" + i));
            assertCode(client.put(keys.getLast(), bytes("v" + i), i), ErrorCode.SUCCESS);
        }
        assertThat(storedKeys()).isGreaterThanOrEqualTo(20);

        assertCode(client.call(Kv.command(Command.WIPEOUT)), ErrorCode.SUCCESS);

        for (ByteString key : keys) {
            assertCode(client.get(key), ErrorCode.NO_SUCH_KEY);
        }
        assertThat(storedKeys()).isZero();
        assertThat(node.metric("ringkv_storage_keys")).isZero();
        assertCode(client.put(keys.getFirst(), bytes("after"), 1), ErrorCode.SUCCESS);
        assertThat(client.get(keys.getFirst()).getValue().toStringUtf8()).isEqualTo("after");
    }

    private long storedKeys() {
        var response = node.get("/api/v1/node", true);
        assertThat(response.statusCode()).isEqualTo(200);
        return ((Number) JsonPath.read(response.body(), "$.keys")).longValue();
    }

    // ----- concurrency -----

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void twoHundredConcurrentClientsAllGetCorrectResults() throws Exception {
        int clients = 200;
        int keysPerClient = 5;
        AtomicInteger failures = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int clientNo = c;
                done.add(pool.submit(() -> {
                    try (UdpKv own = new UdpKv(node.nodeAddress())) {
                        for (int k = 0; k < keysPerClient; k++) {
                            ByteString key = bytes(prefix + "c" + clientNo + "k" + k);
                            ByteString value = value(100 + clientNo, clientNo * 31L + k);
                            assertCode(own.put(key, value, clientNo * 100 + k), ErrorCode.SUCCESS);
                            KVResponse got = own.get(key);
                            assertCode(got, ErrorCode.SUCCESS);
                            assertThat(got.getValue()).isEqualTo(value);
                            assertThat(got.getVersion()).isEqualTo(clientNo * 100 + k);
                        }
                    } catch (RuntimeException | AssertionError e) {
                        failures.incrementAndGet();
                        throw e;
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(80, TimeUnit.SECONDS);
            }
        }
        assertThat(failures).hasValue(0);
        // Every client's keys are there afterwards, read back by one client.
        for (int c = 0; c < clients; c += 17) {
            KVResponse got = client.get(bytes(prefix + "c" + c + "k" + (keysPerClient - 1)));
            assertThat(got.getValue()).isEqualTo(value(100 + c, c * 31L + keysPerClient - 1));
        }
    }
}
