package io.ringkv.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.Versioned;
import io.ringkv.storage.memory.MemoryEngine;
import io.ringkv.transport.PacketHandler;
import io.ringkv.wire.Command;
import io.ringkv.wire.Envelope;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.Origin;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request handling against the real memory engine and reply cache, without sockets: the
 * at-most-once rules, validation and OVERLOAD admission.
 */
class RequestProcessorTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 5000);
    private static final InetSocketAddress OTHER_CLIENT = new InetSocketAddress("127.0.0.1", 5001);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StubNode node = new StubNode();
    private long nowNanos = 1_000;
    private final ReplyCache replies = new ReplyCache(1 << 20, TimeUnit.SECONDS.toNanos(7), 1, () -> nowNanos);
    private StorageEngine storage = new MemoryEngine(1 << 20);
    private RequestProcessor processor = processor(100);

    private RequestProcessor processor(int inflightMax) {
        return new RequestProcessor(node, new LocalKvService(node, storage, 32, 10_000), replies,
                new NodeMetrics(registry, storage, replies), inflightMax, 10_000);
    }

    @AfterEach
    void close() {
        replies.close();
        storage.close();
    }

    @Test
    void putThenGetReturnsValueAndVersion() {
        assertThat(send("a", put("k", "v", 42)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        KVResponse got = send("b", get("k"));
        assertThat(got.getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(got.getValue().toStringUtf8()).isEqualTo("v");
        assertThat(got.getVersion()).isEqualTo(42);
    }

    @Test
    void retriedPutIsNotExecutedAgain() {
        send("a", put("k", "v1", 1));
        send("b", put("k", "v2", 2));
        assertThat(send("a", put("k", "v1", 1)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("c", get("k")).getValue().toStringUtf8()).isEqualTo("v2");
        assertThat(registry.get("ringkv.reply.cache.replays").counter().count()).isEqualTo(1);
    }

    @Test
    void aWriteWhoseOutcomeIsUnknownIsAnsweredNeitherNowNorOnRetry() {
        int[] executions = {0};
        KvService unknown = (request, origin) -> {
            executions[0]++;
            return CompletableFuture.completedFuture(KvService.OUTCOME_UNKNOWN);
        };
        RequestProcessor p = new RequestProcessor(node, unknown, replies, new NodeMetrics(registry, storage, replies),
                100, 10_000);
        for (int attempt = 0; attempt < 3; attempt++) {
            var replier = new RecordingReplier();
            p.handle(datagram("r", remove("k")), CLIENT, replier);
            assertThat(replier.replies).as("attempt %d", attempt).isEmpty();
        }
        assertThat(executions[0]).as("a retry could apply it twice: never run again").isEqualTo(1);

        KvService notExecuted = (request, origin) -> {
            executions[0]++;
            return CompletableFuture.completedFuture(null);
        };
        RequestProcessor q = new RequestProcessor(node, notExecuted, replies, new NodeMetrics(registry, storage,
                replies), 100, 10_000);
        q.handle(datagram("g", get("k")), CLIENT, new RecordingReplier());
        q.handle(datagram("g", get("k")), CLIENT, new RecordingReplier());
        assertThat(executions[0]).as("null: not executed, a retry is welcome").isEqualTo(3);
    }

    @Test
    void retriedRemoveReturnsTheFirstReply() {
        send("a", put("k", "v", 0));
        assertThat(send("r", remove("k")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("r", remove("k")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("s", remove("k")).getErrCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
    }

    @Test
    void forwardedRequestsAreCachedUnderTheirOriginAndAnsweredUnderTheForwardersId() {
        InetSocketAddress peer = new InetSocketAddress("127.0.0.1", 6000);
        send("a", put("k", "v", 0));
        ByteString origin = Origin.encode(OTHER_CLIENT, id("client-id"));
        KVRequest forwarded = remove("k").toBuilder().setOrigin(origin).build();

        var first = new RecordingReplier();
        processor.handle(datagram("fwd-1", forwarded), peer, first);
        assertThat(first.only().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(first.ids).containsExactly(id("fwd-1"));

        // The client's retry, forwarded again under another id (or by another node): the first reply, resealed.
        var again = new RecordingReplier();
        processor.handle(datagram("fwd-2", forwarded), new InetSocketAddress("127.0.0.1", 6001), again);
        assertThat(again.only().getErrCode()).as("not executed again").isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(again.ids).containsExactly(id("fwd-2"));

        // The client sending the same messageID to this node directly is the same request too.
        assertThat(send(OTHER_CLIENT, "client-id", remove("k")).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send(OTHER_CLIENT, "new-id", remove("k")).getErrCode()).isEqualTo(ErrorCode.NO_SUCH_KEY.code());
    }

    @Test
    void aMalformedOriginIsIgnoredAndTheSenderKeysTheCache() {
        KVRequest odd = put("k", "v", 0).toBuilder().setOrigin(ByteString.copyFrom(new byte[] {9, 1, 2})).build();
        assertThat(send("o", odd).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("o", put("k", "other", 0)).getErrCode()).as("cached under (sender, id)")
                .isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("g", get("k")).getValue().toStringUtf8()).isEqualTo("v");
    }

    @Test
    void retriedGetReturnsTheValueOfItsFirstExecution() {
        send("a", put("k", "old", 0));
        send("g", get("k"));
        send("b", put("k", "new", 0));
        assertThat(send("g", get("k")).getValue().toStringUtf8()).isEqualTo("old");
    }

    @Test
    void sameMessageIdFromAnotherClientIsADifferentRequest() {
        send("a", put("k", "v1", 0));
        send(OTHER_CLIENT, "a", put("k", "v2", 0));
        assertThat(send("c", get("k")).getValue().toStringUtf8()).isEqualTo("v2");
    }

    @Test
    void cachedRepliesExpireAfterTheirTtl() {
        send("a", put("k", "v1", 0));
        send("b", put("k", "v2", 0));
        nowNanos += TimeUnit.SECONDS.toNanos(8);
        send("a", put("k", "v1", 0));
        assertThat(send("c", get("k")).getValue().toStringUtf8()).isEqualTo("v1");
    }

    @Test
    void keysAndValuesAreValidated() {
        assertThat(send("1", put("", "v", 0)).getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());
        assertThat(send("2", put("k".repeat(33), "v", 0)).getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());
        assertThat(send("3", get("")).getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());
        assertThat(send("4", remove("k".repeat(128))).getErrCode()).isEqualTo(ErrorCode.INVALID_KEY.code());
        assertThat(send("5", put("k", "v".repeat(10_001), 0)).getErrCode()).isEqualTo(ErrorCode.INVALID_VALUE.code());
        assertThat(send("6", put("k".repeat(32), "v".repeat(10_000), 0)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("7", put("k", "", 0)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(storage.keys()).isEqualTo(2);
    }

    @Test
    void unknownCommandsAndPayloadsAreAnswered() {
        assertThat(send("1", KVRequest.newBuilder().setCommand(99).build()).getErrCode())
                .isEqualTo(ErrorCode.UNKNOWN_COMMAND.code());
        var replier = new RecordingReplier();
        processor.handle(Unpooled.wrappedBuffer(Envelope.seal(id("2"), ByteString.copyFrom(new byte[] {-1, -1})).toByteArray()),
                CLIENT, replier);
        assertThat(replier.only().getErrCode()).isEqualTo(ErrorCode.UNKNOWN_COMMAND.code());
    }

    @Test
    void badChecksumIsDroppedAndCounted() {
        var msg = Envelope.seal(id("1"), put("k", "v", 0).toByteString()).toBuilder().setCheckSum(1).build();
        var replier = new RecordingReplier();
        processor.handle(Unpooled.wrappedBuffer(msg.toByteArray()), CLIENT, replier);
        assertThat(replier.replies).isEmpty();
        assertThat(replier.rejections).hasSize(1);
        assertThat(registry.get("ringkv.discarded").tag("reason", "checksum").counter().count()).isEqualTo(1);
        assertThat(storage.keys()).isZero();
    }

    @Test
    void identityCommands() {
        assertThat(send("1", command(Command.IS_ALIVE)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(send("2", command(Command.GET_PID)).getPid()).isEqualTo(4242);
        assertThat(send("3", command(Command.GET_MEMBERSHIP_COUNT)).getMembershipCount()).isEqualTo(1);
    }

    @Test
    void wipeoutRemovesEverythingAndShutdownAsksTheNodeToStop() {
        send("1", put("a", "v", 0));
        send("2", put("b", "v", 0));
        assertThat(send("3", command(Command.WIPEOUT)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(storage.keys()).isZero();
        assertThat(node.shutdownReason).isNull();
        assertThat(send("4", command(Command.SHUTDOWN)).getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        assertThat(node.shutdownReason).contains("SHUTDOWN");
    }

    @Test
    void outOfSpaceIsReported() {
        storage.close();
        storage = new MemoryEngine(400);
        processor = processor(100);
        assertThat(send("1", put("k", "v".repeat(300), 0)).getErrCode()).isEqualTo(ErrorCode.OUT_OF_SPACE.code());
    }

    @Test
    void slowWritesAreAnsweredWhenDurableAndRetriesMeanwhileAreDropped() {
        var slow = new SlowEngine();
        storage = slow;
        processor = processor(1);
        var first = new RecordingReplier();
        processor.handle(datagram("a", put("k", "v", 0)), CLIENT, first);
        assertThat(first.replies).isEmpty();

        var retry = new RecordingReplier();
        processor.handle(datagram("a", put("k", "v", 0)), CLIENT, retry);
        assertThat(retry.replies).isEmpty();
        assertThat(registry.get("ringkv.discarded").tag("reason", "retry-inflight").counter().count()).isEqualTo(1);

        // The in-flight bound is reached: a new request is told to come back later, not queued.
        var other = new RecordingReplier();
        processor.handle(datagram("b", put("j", "v", 0)), CLIENT, other);
        assertThat(other.only().getErrCode()).isEqualTo(ErrorCode.OVERLOAD.code());
        assertThat(other.only().getOverloadWaitTime()).isPositive();

        slow.pending.complete(null);
        assertThat(first.only().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        // Now the retry is answered from the cache, and OVERLOAD was not cached.
        var later = new RecordingReplier();
        processor.handle(datagram("a", put("k", "v", 0)), CLIENT, later);
        assertThat(later.only().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
        slow.pending = CompletableFuture.completedFuture(null);
        var again = new RecordingReplier();
        processor.handle(datagram("b", put("j", "v", 0)), CLIENT, again);
        assertThat(again.only().getErrCode()).isEqualTo(ErrorCode.SUCCESS.code());
    }

    // --- helpers

    private KVResponse send(String id, KVRequest request) {
        return send(CLIENT, id, request);
    }

    private KVResponse send(InetSocketAddress client, String id, KVRequest request) {
        var replier = new RecordingReplier();
        processor.handle(datagram(id, request), client, replier);
        return replier.only();
    }

    private static io.netty.buffer.ByteBuf datagram(String id, KVRequest request) {
        return Unpooled.wrappedBuffer(Envelope.sealRequest(id(id), request));
    }

    private static ByteString id(String id) {
        return ByteString.copyFromUtf8("%16s".formatted(id));
    }

    private static KVRequest put(String key, String value, int version) {
        return KVRequest.newBuilder().setCommand(Command.PUT.code()).setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value)).setVersion(version).build();
    }

    private static KVRequest get(String key) {
        return KVRequest.newBuilder().setCommand(Command.GET.code()).setKey(ByteString.copyFromUtf8(key)).build();
    }

    private static KVRequest remove(String key) {
        return KVRequest.newBuilder().setCommand(Command.REMOVE.code()).setKey(ByteString.copyFromUtf8(key)).build();
    }

    private static KVRequest command(Command command) {
        return KVRequest.newBuilder().setCommand(command.code()).build();
    }

    private static final class RecordingReplier implements PacketHandler.Replier {
        final List<KVResponse> replies = new ArrayList<>();
        final List<ByteString> ids = new ArrayList<>();
        final List<String> rejections = new ArrayList<>();

        @Override
        public void reply(byte[] bytes) {
            var reply = Envelope.openReply(ByteBuffer.wrap(bytes));
            assertThat(reply).as("reply must be a valid envelope").isNotNull();
            replies.add(reply.response());
            ids.add(reply.messageId());
        }

        @Override
        public void reject(String reason) {
            rejections.add(reason);
        }

        KVResponse only() {
            assertThat(replies).hasSize(1);
            return replies.getFirst();
        }
    }

    private static final class StubNode implements NodeContext {
        String shutdownReason;

        @Override
        public long pid() {
            return 4242;
        }

        @Override
        public int membershipCount() {
            return 1;
        }

        @Override
        public void shutdown(String reason) {
            shutdownReason = reason;
        }
    }

    /** A memory engine whose writes complete only when the test says so, like a group commit. */
    private static final class SlowEngine implements StorageEngine {
        private final MemoryEngine inner = new MemoryEngine(1 << 20);
        CompletableFuture<Void> pending = new CompletableFuture<>();

        @Override
        public Versioned get(byte[] key) {
            return inner.get(key);
        }

        @Override
        public CompletionStage<Void> put(byte[] key, byte[] value, int version) {
            return inner.put(key, value, version).thenCompose(ok -> pending);
        }

        @Override
        public CompletionStage<Boolean> remove(byte[] key) {
            return inner.remove(key);
        }

        @Override
        public CompletionStage<Void> wipe() {
            return inner.wipe();
        }

        @Override
        public long keys() {
            return inner.keys();
        }

        @Override
        public long bytes() {
            return inner.bytes();
        }

        @Override
        public long bytesMax() {
            return inner.bytesMax();
        }

        @Override
        public void forEachInRange(long startExclusive, long endInclusive, RecordSink sink) {
            inner.forEachInRange(startExclusive, endInclusive, sink);
        }

        @Override
        public CompletionStage<Long> dropRange(long startExclusive, long endInclusive) {
            return inner.dropRange(startExclusive, endInclusive);
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
