package io.ringkv.client;

import static io.ringkv.client.FakeNode.always;
import static io.ringkv.client.FakeNode.code;
import static io.ringkv.client.FakeNode.dropFirst;
import static io.ringkv.client.FakeNode.overloadFirst;
import static io.ringkv.client.FakeNode.silent;
import static io.ringkv.client.FakeNode.store;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.ringkv.common.TestSeeds;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The UDP client against a scripted fake node on loopback. Timing assertions use the fake's
 * arrival times with a lower bound close to the schedule and a generous upper bound, since a busy
 * machine can only make things later.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RingKvClientUdpTest {
    private static final long SLACK_MS = 250;
    private final long seed = TestSeeds.seed();

    private RingKvClient client(FakeNode node, long initialTimeoutMs, int tries) {
        return RingKvClient.builder().port(node.port()).initialTimeoutMs(initialTimeoutMs).tries(tries).seed(seed).build();
    }

    private static long gapMs(List<FakeNode.Received> received, int i) {
        return TimeUnit.NANOSECONDS.toMillis(received.get(i).atNanos() - received.get(i - 1).atNanos());
    }

    private static void assertOneMessageFromOneSocket(List<FakeNode.Received> received) {
        assertThat(received.stream().map(FakeNode.Received::messageId).distinct()).hasSize(1);
        assertThat(received.stream().map(FakeNode.Received::sender).distinct()).hasSize(1);
    }

    @Test
    void lostDatagramsAreResentWithTheSameIdAfterDoublingTimeouts() {
        // The first datagram is answered: a warm-up, so that the first send of the measured call is
        // not late after its timeout was armed (class loading), which would shorten the first gap.
        FakeNode.Behavior store = store();
        try (FakeNode node = FakeNode.start(r -> r.index() == 1 || r.index() == 2 ? null : store.respond(r));
                RingKvClient client = client(node, 60, 4)) {
            client.put("warm-up", "v");
            client.put("k", "v");

            List<FakeNode.Received> received = node.received().subList(1, node.received().size());
            assertThat(received).as("seed %d", seed).hasSize(3);
            assertOneMessageFromOneSocket(received);
            assertThat(gapMs(received, 1)).isBetween(55L, 60 + SLACK_MS);
            assertThat(gapMs(received, 2)).isBetween(115L, 120 + SLACK_MS);
            assertThat(client.stats().resent()).isEqualTo(2);
        }
    }

    @Test
    void noReplyAfterEveryTryIsAnUnknownOutcomeNotAFailure() {
        try (FakeNode node = FakeNode.start(silent());
                RingKvClient client = client(node, 30, 4)) {
            long start = System.nanoTime();
            OutcomeUnknownException e = catchThrowableOfType(OutcomeUnknownException.class, () -> client.put("k", "v"));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(e.reason()).isEqualTo(OutcomeUnknownException.Reason.TIMED_OUT);
            assertThat(e.tries()).isEqualTo(4);
            assertThat(e.command()).isEqualTo(Command.PUT);
            assertThat(e.getMessage()).contains("no reply to PUT after 4 tries", "outcome is unknown");
            assertThat(elapsedMs).isBetween(30L + 60 + 120 + 240 - 5, 450 + SLACK_MS * 2);
            List<FakeNode.Received> received = node.received();
            assertThat(received).hasSize(4);
            assertOneMessageFromOneSocket(received);
            assertThat(client.stats().timedOut()).isEqualTo(1);
        }
    }

    @Test
    void overloadIsWaitedOutWithTheSameIdWithoutUsingUpTries() {
        // One try only: had the OVERLOAD replies used up tries, the request would have failed.
        try (FakeNode node = FakeNode.start(overloadFirst(2, 80, store()));
                RingKvClient client = client(node, 40, 1)) {
            client.put("k", "v");

            List<FakeNode.Received> received = node.received();
            assertThat(received).hasSize(3);
            assertOneMessageFromOneSocket(received);
            for (int i = 1; i < 3; i++) {
                assertThat(gapMs(received, i)).as("gap %d, seed %d", i, seed).isBetween(78L, 96 + SLACK_MS);
            }
            assertThat(client.stats().overloadWaits()).isEqualTo(2);
        }
    }

    @Test
    void overloadWaitsAreBoundedThenReportedAsOverload() {
        try (FakeNode node = FakeNode.start(always(FakeNode.overload(5)));
                RingKvClient client = RingKvClient.builder().port(node.port()).overloadRetriesMax(3).seed(seed).build()) {
            RingKvException e = catchThrowableOfType(RingKvException.class, () -> client.get("k"));

            assertThat(e.errorCode()).isEqualTo(ErrorCode.OVERLOAD);
            assertThat(e.overloadWaitMs()).isEqualTo(5);
            assertThat(node.received()).hasSize(4);
            assertOneMessageFromOneSocket(node.received());
        }
    }

    @Test
    void errorRepliesBecomeTypedExceptionsWithClearMessages() {
        try (FakeNode node = FakeNode.start(store());
                RingKvClient client = client(node, 100, 4)) {
            RingKvException missing = catchThrowableOfType(RingKvException.class, () -> client.get("nope"));
            assertThat(missing.isNoSuchKey()).isTrue();
            assertThat(missing.command()).isEqualTo(Command.GET);
            assertThat(missing.getMessage()).isEqualTo("GET failed: NO_SUCH_KEY (no value is stored under this key)");

            RingKvException badKey = catchThrowableOfType(RingKvException.class, () -> client.put("k".repeat(33), "v"));
            assertThat(badKey.errorCode()).isEqualTo(ErrorCode.INVALID_KEY);
            assertThat(badKey.describe()).isEqualTo("INVALID_KEY (key must be 1..32 bytes)");

            RingKvException badValue = catchThrowableOfType(RingKvException.class,
                    () -> client.put(new byte[] {1}, new byte[10_001]));
            assertThat(badValue.describe()).isEqualTo("INVALID_VALUE (value must be 0..10,000 bytes)");

            assertThatThrownBy(() -> client.remove("nope")).isInstanceOf(RingKvException.class)
                    .hasMessageContaining("NO_SUCH_KEY");
        }
    }

    @Test
    void unknownReplyCodesKeepTheirNumber() {
        try (FakeNode node = FakeNode.start(always(io.ringkv.wire.proto.KVResponse.newBuilder().setErrCode(0x7e).build()));
                RingKvClient client = client(node, 100, 4)) {
            RingKvException e = catchThrowableOfType(RingKvException.class, () -> client.get("k"));
            assertThat(e.code()).isEqualTo(0x7e);
            assertThat(e.errorCode()).isNull();
            assertThat(e.describe()).startsWith("UNKNOWN_ERROR_0x7e");
        }
    }

    @Test
    void everyCommandRoundTrips() {
        try (FakeNode node = FakeNode.start(store());
                RingKvClient client = client(node, 100, 4)) {
            client.put("clé", "välue", 7);
            VersionedValue got = client.get("clé");
            assertThat(got.valueUtf8()).isEqualTo("välue");
            assertThat(got.version()).isEqualTo(7);
            assertThat(client.get("clé".getBytes(StandardCharsets.UTF_8)))
                    .isEqualTo(new VersionedValue("välue".getBytes(StandardCharsets.UTF_8), 7));

            client.put(new byte[] {0, 1}, new byte[0]);
            assertThat(client.get(new byte[] {0, 1}).value()).isEmpty();

            assertThat(client.isAlive()).isTrue();
            assertThat(client.pid()).isEqualTo(4242);
            assertThat(client.membershipCount()).isEqualTo(1);
            client.remove("clé");
            assertThatThrownBy(() -> client.get("clé")).isInstanceOf(RingKvException.class);
            client.wipeout();
            assertThatThrownBy(() -> client.get(new byte[] {0, 1})).isInstanceOf(RingKvException.class);
            client.shutdown();

            List<Integer> commands = node.received().stream().map(r -> r.request().getCommand()).toList();
            assertThat(commands).contains(1, 2, 3, 4, 5, 6, 7, 8);
        }
    }

    @Test
    void isAliveIsFalseWhenNobodyAnswers() {
        try (FakeNode node = FakeNode.start(silent());
                RingKvClient client = client(node, 10, 2)) {
            assertThat(client.isAlive()).isFalse();
        }
    }

    @Test
    void aCorruptReplyIsIgnoredLikeALostOne() {
        FakeNode.Behavior corruptFirst = r -> {
            byte[] good = FakeNode.reply(r, code(ErrorCode.SUCCESS));
            if (r.index() == 0) {
                good[good.length - 1] ^= 0x55; // the checksum's last byte
            }
            return good;
        };
        try (FakeNode node = FakeNode.start(corruptFirst);
                RingKvClient client = client(node, 50, 4)) {
            client.put("k", "v");
            assertThat(node.received()).hasSize(2);
            assertThat(client.stats().badReplies()).isEqualTo(1);
        }
    }

    @Test
    void everyRequestGetsItsOwnId() throws Exception {
        try (FakeNode node = FakeNode.start(store());
                RingKvClient client = client(node, 200, 4)) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                futures.add(client.putAsync(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {1}));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(node.received().stream().map(FakeNode.Received::messageId).collect(Collectors.toSet()))
                    .hasSize(node.received().size());
        }
    }

    @Test
    void concurrentCallersEachGetTheirOwnReply() throws Exception {
        try (FakeNode node = FakeNode.start(store());
                RingKvClient client = client(node, 200, 6)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 8; t++) {
                int thread = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 100; i++) {
                            String key = thread + "-" + i;
                            client.put(key, "v" + key);
                            assertThat(client.get(key).valueUtf8()).isEqualTo("v" + key);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(failures).as("seed %d", seed).isEmpty();
            assertThat(client.stats().inFlight()).isZero();
        }
    }

    @Test
    void inFlightRequestsAreLimitedAndCloseEndsThemAsUnknown() {
        FakeNode node = FakeNode.start(silent());
        RingKvClient client = RingKvClient.builder().port(node.port()).initialTimeoutMs(10_000)
                .inFlightMax(2).inFlightWaitMs(0).seed(seed).build();
        try (node) {
            CompletableFuture<Void> first = client.putAsync(new byte[] {1}, new byte[] {1});
            CompletableFuture<VersionedValue> second = client.getAsync(new byte[] {1});
            CompletableFuture<Void> third = client.removeAsync(new byte[] {1});
            assertThatThrownBy(third::join).hasCauseInstanceOf(RejectedExecutionException.class);

            client.close();
            for (CompletableFuture<?> f : List.of(first, second)) {
                assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
                        .cause().isInstanceOf(OutcomeUnknownException.class)
                        .extracting(c -> ((OutcomeUnknownException) c).reason())
                        .isEqualTo(OutcomeUnknownException.Reason.CLIENT_CLOSED);
            }
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    void blockingOnTheClientsOwnThreadIsRefused() {
        // The first datagram is dropped so that the reply comes late, on the client's receiver thread,
        // after the dependent stage is registered (a quick reply would run it on this thread).
        try (FakeNode node = FakeNode.start(dropFirst(1, store()));
                RingKvClient client = client(node, 100, 4)) {
            CompletableFuture<Integer> nested = client.isAliveAsync().thenApply(ignored -> client.pid());
            assertThatThrownBy(() -> nested.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("deadlock");
            // Chaining async calls is the way.
            assertThat(client.isAliveAsync().thenCompose(ignored -> client.pidAsync()).join()).isEqualTo(4242);
        }
    }

    @Test
    void rawExchangeReturnsAnyCode() {
        try (FakeNode node = FakeNode.start(store());
                RingKvClient client = client(node, 100, 4)) {
            var response = client.exchangeAsync(io.ringkv.wire.proto.KVRequest.newBuilder().setCommand(0x7f)
                    .setKey(ByteString.copyFromUtf8("k")).build()).join();
            assertThat(response.getErrCode()).isEqualTo(ErrorCode.UNKNOWN_COMMAND.code());
        }
    }
}
