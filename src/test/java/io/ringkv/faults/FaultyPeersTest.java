package io.ringkv.faults;

import static io.ringkv.faults.Rules.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.client.RequestNotSentException;
import io.ringkv.cluster.Peers;
import io.ringkv.common.TestSeeds;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import io.ringkv.ring.Member;
import io.ringkv.wire.proto.KVRequest;
import io.ringkv.wire.proto.KVResponse;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The peer-link decorator against links that answer at once and a manual delayer: a cut partitions
 * one member and not another, lost requests and replies fail when the reply timeout runs out, and
 * delays, duplicates and healing behave as the fault model says.
 */
class FaultyPeersTest {
    private static final long REPLY_TIMEOUT_MS = 3_000;
    private static final Member B = new Member("node-b", "127.0.0.1", 43101, 43181);
    private static final Member C = new Member("node-c", "127.0.0.1", 43102, 43182);
    private static final InetSocketAddress B_ADDRESS = new InetSocketAddress("127.0.0.1", 43101);
    private static final KVRequest REQUEST = KVRequest.newBuilder().setCommand(2).build();

    private final long seed = TestSeeds.seed();
    private final ManualDelayer delayer = new ManualDelayer();
    private final NetworkFaults faults = new NetworkFaults(delayer, NetworkFaults.HELD_BYTES_MAX);
    /** Every request the real links were given, by member id. */
    private final List<String> sent = new ArrayList<>();
    private final Peers links = (peer, request) -> {
        sent.add(peer.id());
        return CompletableFuture.completedFuture(KVResponse.newBuilder().setErrCode(0).setPid(sent.size()).build());
    };
    private final Peers peers = faults.wrap(links, REPLY_TIMEOUT_MS);

    private void arm(NetworkRule... rules) {
        faults.arm(List.of(rules), seed);
    }

    @Test
    void withoutRulesExchangesGoStraightThrough() {
        assertThat(peers.exchange(B, REQUEST).join().getPid()).isEqualTo(1);
        assertThat(sent).containsExactly("node-b");
    }

    @Test
    void aCutPartitionsOneMemberAtOnceWhileAnotherIsReached() {
        arm(rule().peer(B_ADDRESS).cut().build());
        CompletableFuture<KVResponse> toB = peers.exchange(B, REQUEST);
        assertThat(toB).isCompletedExceptionally();
        assertThat(toB.exceptionNow()).as("a request cut on its way out was never sent")
                .isInstanceOf(RequestNotSentException.class).hasMessageContaining("cut")
                .hasCauseInstanceOf(ConnectException.class);
        assertThat(peers.exchange(C, REQUEST).join().getErrCode()).isZero();
        assertThat(sent).containsExactly("node-c");
        assertThat(faults.counters().cut()).isEqualTo(1);
    }

    @Test
    void aLostRequestFailsWhenTheReplyTimeoutRunsOut() {
        arm(rule().protocol(Protocol.TCP).direction(Direction.OUTBOUND).drop(100).build());
        CompletableFuture<KVResponse> exchange = peers.exchange(B, REQUEST);
        delayer.advanceMs(REPLY_TIMEOUT_MS - 1);
        assertThat(exchange).isNotDone();
        delayer.advanceMs(1);
        assertThat(exchange.exceptionNow()).isInstanceOf(TimeoutException.class).hasMessageContaining("request lost");
        assertThat(sent).isEmpty();
    }

    @Test
    void aLostReplyFailsTheExchangeAfterTheRequestWasExecuted() {
        arm(rule().direction(Direction.INBOUND).drop(100).build());
        CompletableFuture<KVResponse> exchange = peers.exchange(B, REQUEST);
        assertThat(sent).as("the peer did get the request").containsExactly("node-b");
        delayer.advanceMs(REPLY_TIMEOUT_MS);
        assertThat(exchange.exceptionNow()).isInstanceOf(TimeoutException.class).hasMessageContaining("reply lost");
    }

    @Test
    void delaysApplyToTheRequestAndToTheReply() {
        arm(rule().delay(20, 0).build());
        CompletableFuture<KVResponse> exchange = peers.exchange(B, REQUEST);
        delayer.advanceMs(19);
        assertThat(sent).isEmpty();
        delayer.advanceMs(1);
        assertThat(sent).containsExactly("node-b");
        delayer.advanceMs(19);
        assertThat(exchange).isNotDone();
        delayer.advanceMs(1);
        assertThat(exchange.join().getPid()).isEqualTo(1);
        assertThat(faults.heldBytes()).isZero();
    }

    @Test
    void aDuplicatedRequestIsSentTwiceAndAnsweredOnce() {
        arm(rule().direction(Direction.OUTBOUND).duplicate(100).build());
        assertThat(peers.exchange(B, REQUEST).join().getErrCode()).isZero();
        assertThat(sent).containsExactly("node-b", "node-b");
    }

    @Test
    void aFailureOfTheLinkItselfPassesThrough() {
        Peers broken = faults.wrap((peer, request) -> CompletableFuture.failedFuture(new ConnectException("down")),
                REPLY_TIMEOUT_MS);
        arm(rule().delay(5, 0).build());
        CompletableFuture<KVResponse> exchange = broken.exchange(B, REQUEST);
        delayer.advanceMs(5);
        assertThat(exchange.exceptionNow()).isInstanceOf(ConnectException.class).hasMessage("down");
    }

    @Test
    void dropsOverManyExchangesFollowTheirPercentAndHealEndsThem() {
        arm(rule().drop(20).build());
        int n = 2_000;
        List<CompletableFuture<KVResponse>> exchanges = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            exchanges.add(peers.exchange(B, REQUEST));
        }
        delayer.advanceMs(REPLY_TIMEOUT_MS);
        long failed = exchanges.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        // Each exchange survives request and reply: 1 - 0.8^2 = 36% fail, 720 of 2,000 expected; the
        // binomial sd is sqrt(2000 * 0.36 * 0.64) = 21.5, so the bound is 5 sd (seed
        // -9103473091515353258 drew 787, 3.1 sd out, past the old 60).
        assertThat(failed).as("seed %d", seed).isBetween(720L - 108, 720L + 108);
        assertThat(faults.counters().dropped()).isEqualTo(failed);

        faults.heal();
        assertThat(peers.exchange(B, REQUEST).join().getErrCode()).isZero();
        assertThat(delayer.pending()).isZero();
    }

    @Test
    void anExchangeThatCannotWaitFailsAtOnce() {
        NetworkFaults tight = new NetworkFaults(delayer, 0);
        tight.arm(List.of(rule().delay(10, 0).build()), seed);
        CompletableFuture<KVResponse> exchange = tight.wrap(links, REPLY_TIMEOUT_MS).exchange(B, REQUEST);
        assertThat(exchange.exceptionNow()).isInstanceOf(TimeoutException.class);
        assertThat(tight.counters().overflowed()).isEqualTo(1);
        assertThat(sent).isEmpty();
    }
}
