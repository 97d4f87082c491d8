package io.ringkv.it;

import static io.ringkv.it.Kv.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import io.ringkv.wire.proto.Msg;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The protobuf frame protocol over TCP (design §2.2): pipelining, large values, and that a bad
 * stream costs only its own connection. One node for the class; each test uses its own keys.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeTcpIT {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private static NodeProcess node;

    @BeforeAll
    static void startNode() {
        node = NodeProcess.start("NodeTcpIT");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static ByteString value(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return ByteString.copyFrom(bytes);
    }

    @Test
    void pipelinedRequestsAreAllAnsweredAndMatchedByMessageId() {
        int requests = 1_000;
        try (TcpKv tcp = node.tcp()) {
            Map<ByteString, Integer> puts = new HashMap<>();
            for (int i = 0; i < requests; i++) {
                ByteString id = Kv.newId();
                puts.put(id, i);
                tcp.write(id, Kv.put(bytes("pipe" + i), bytes("value" + i), i));
            }
            tcp.flush();
            for (int i = 0; i < requests; i++) {
                Envelope.Reply reply = tcp.read();
                assertThat(puts.remove(reply.messageId())).as("reply %d matches an unanswered PUT", i).isNotNull();
                assertThat(reply.response().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
            assertThat(puts).isEmpty();

            Map<ByteString, Integer> gets = new HashMap<>();
            for (int i = 0; i < requests; i++) {
                ByteString id = Kv.newId();
                gets.put(id, i);
                tcp.write(id, Kv.get(bytes("pipe" + i)));
            }
            tcp.flush();
            for (int i = 0; i < requests; i++) {
                Envelope.Reply reply = tcp.read();
                Integer n = gets.remove(reply.messageId());
                assertThat(n).as("reply %d matches an unanswered GET", i).isNotNull();
                assertThat(reply.response().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
                assertThat(reply.response().getValue().toStringUtf8()).isEqualTo("value" + n);
                assertThat(reply.response().getVersion()).isEqualTo(n);
            }
            assertThat(gets).isEmpty();
        }
    }

    @Test
    void valuesUpTo10000BytesRoundTripAndLargerOnesAreInvalid() {
        try (TcpKv tcp = node.tcp()) {
            for (int size : new int[] {0, 1, 2048, 9_999, 10_000}) {
                ByteString key = bytes("large" + size);
                ByteString value = value(size, size);
                assertThat(tcp.call(Kv.put(key, value, size)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
                KVResponse got = tcp.call(Kv.get(key));
                assertThat(got.getValue()).isEqualTo(value);
                assertThat(got.getVersion()).isEqualTo(size);
            }
            ByteString key = bytes("large-invalid");
            assertThat(tcp.call(Kv.put(key, value(10_001, 1), 1)).getErrCode())
                    .isEqualTo(ErrorCode.INVALID_VALUE.code());
            assertThat(tcp.call(Kv.get(key)).getErrCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
            assertThat(tcp.call(Kv.command(99)).getErrCode()).isEqualTo(ErrorCode.UNKNOWN_COMMAND.code());
            assertThat(tcp.call(Kv.get(ByteString.EMPTY)).getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());
        }
    }

    @Test
    void pipelinedLargeValuesAreAllAnswered() {
        int requests = 50;
        try (TcpKv tcp = node.tcp()) {
            for (int i = 0; i < requests; i++) {
                tcp.write(Kv.newId(), Kv.put(bytes("big" + i), value(10_000, i), i));
            }
            tcp.flush();
            for (int i = 0; i < requests; i++) {
                assertThat(tcp.read().response().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            }
            Map<ByteString, Integer> gets = new HashMap<>();
            for (int i = 0; i < requests; i++) {
                ByteString id = Kv.newId();
                gets.put(id, i);
                tcp.write(id, Kv.get(bytes("big" + i)));
            }
            tcp.flush();
            for (int i = 0; i < requests; i++) {
                Envelope.Reply reply = tcp.read();
                int n = gets.remove(reply.messageId());
                assertThat(reply.response().getValue()).isEqualTo(value(10_000, n));
            }
        }
    }

    @Test
    void protocolCommandsWorkOverTcp() {
        try (TcpKv tcp = node.tcp()) {
            assertThat(tcp.call(Kv.command(Command.IS_ALIVE)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
            assertThat((long) tcp.call(Kv.command(Command.GET_PID)).getPid()).isEqualTo(node.pid());
            assertThat(tcp.call(Kv.command(Command.GET_MEMBERSHIP_COUNT)).getMembershipCount()).isEqualTo(1);
        }
    }

    @Test
    void garbageLengthHeaderClosesOnlyThatConnection() {
        assertBadStreamClosesOnlyItsConnection(
                new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, "bad-frame");
    }

    @Test
    void oversizedFrameLengthClosesOnlyThatConnection() throws IOException {
        assertBadStreamClosesOnlyItsConnection(varint(65_508), "bad-frame");
    }

    @Test
    void hugeFrameLengthClosesOnlyThatConnection() throws IOException {
        assertBadStreamClosesOnlyItsConnection(varint(Integer.MAX_VALUE), "bad-frame");
    }

    @Test
    void unparseableEnvelopeClosesOnlyThatConnection() {
        // A well-formed 3-byte frame whose content is not a Msg: its tag has wire type 7, which does not exist.
        byte[] frame = {3, (byte) 0xff, (byte) 0xff, 0x01};
        assertBadStreamClosesOnlyItsConnection(frame, "malformed");
    }

    @Test
    void badChecksumFrameClosesOnlyThatConnection() throws IOException {
        Msg sealed = Envelope.seal(Kv.newId(), Kv.command(Command.IS_ALIVE).toByteString());
        Msg corrupt = sealed.toBuilder().setCheckSum(sealed.getCheckSum() + 1).build();
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        corrupt.writeDelimitedTo(frame);
        assertBadStreamClosesOnlyItsConnection(frame.toByteArray(), "checksum");
    }

    @Test
    void randomGarbageStreamClosesOnlyThatConnection() {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        // A first frame that fits in what is sent, so the node has a whole frame of garbage to judge
        // instead of waiting for the rest of a frame the random header announced.
        garbage[0] = 0x7f;
        assertBadStreamClosesOnlyItsConnection(garbage, null);
    }

    /**
     * A good connection is open with a request answered, then another connection sends {@code bad}
     * after one good request: the bad connection must be closed (its earlier reply delivered), the
     * discard counted under {@code reason} (any reason when null), and the good connection must keep
     * working.
     */
    private static void assertBadStreamClosesOnlyItsConnection(byte[] bad, String reason) {
        double before = reason == null ? node.metric("ringkv_discarded_total") : discarded(reason);
        try (TcpKv good = node.tcp(); TcpKv victim = node.tcp()) {
            assertThat(good.call(Kv.put(bytes("good" + reason), bytes("v1"), 1)).getErrCode())
                    .isEqualTo(ErrorCode.SUCCESS.code());
            assertThat(victim.call(Kv.command(Command.IS_ALIVE)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());

            victim.writeRaw(bad);
            victim.flush();

            assertThat(victim.closedByPeerWithin(CLOSE_WAIT)).as("the bad connection is closed").isTrue();
            assertThat(good.call(Kv.get(bytes("good" + reason))).getValue().toStringUtf8()).isEqualTo("v1");
            assertThat(good.call(Kv.command(Command.IS_ALIVE)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        }
        try (TcpKv fresh = node.tcp()) {
            assertThat(fresh.call(Kv.command(Command.IS_ALIVE)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                reason == null ? node.metric("ringkv_discarded_total") : discarded(reason))
                .as("ringkv_discarded_total{reason=%s}", reason)
                .isGreaterThan(before));
    }

    private static double discarded(String reason) {
        return node.metric("ringkv_discarded_total", "reason=\"" + reason + "\"");
    }

    private static byte[] varint(int value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt32NoTag(value);
        out.flush();
        return bytes.toByteArray();
    }
}
