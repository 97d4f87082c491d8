package io.ringkv.faults;

import static io.ringkv.faults.Rules.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.ringkv.common.TestSeeds;
import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The listener decorator on an {@link EmbeddedChannel} with frozen time: each fault of the model,
 * the bound on what waits, and healing. Datagrams carry their sequence number, so order and
 * duplicates can be read back.
 */
class FaultyChannelHandlerTest {
    private static final InetSocketAddress NODE = new InetSocketAddress("127.0.0.1", 43100);
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 5000);
    private static final InetSocketAddress OTHER = new InetSocketAddress("127.0.0.1", 5001);

    private final long seed = TestSeeds.seed();
    private final NetworkFaults faults = new NetworkFaults(new ManualDelayer(), NetworkFaults.HELD_BYTES_MAX);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void finish() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel channel(Protocol protocol, InetSocketAddress remote) {
        EmbeddedChannel channel = new EmbeddedChannel(faults.channelHook(protocol).newHandler()) {
            @Override
            protected SocketAddress remoteAddress0() {
                return remote;
            }
        };
        channel.freezeTime();
        channels.add(channel);
        return channel;
    }

    private void arm(NetworkRule... rules) {
        faults.arm(List.of(rules), seed);
    }

    private static DatagramPacket from(InetSocketAddress sender, int n) {
        return new DatagramPacket(Unpooled.copyInt(n), NODE, sender);
    }

    private static DatagramPacket to(InetSocketAddress recipient, int n) {
        return new DatagramPacket(Unpooled.copyInt(n), recipient, NODE);
    }

    /** Sequence numbers of what reached the request handler, in order; releases them. */
    private static List<Integer> received(EmbeddedChannel channel) {
        List<Integer> numbers = new ArrayList<>();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            numbers.add(number(msg));
        }
        return numbers;
    }

    /** Sequence numbers of what went out on the wire, in order; releases them. */
    private static List<Integer> sent(EmbeddedChannel channel) {
        List<Integer> numbers = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            numbers.add(number(msg));
        }
        return numbers;
    }

    private static int number(Object msg) {
        ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
        try {
            return content.getInt(content.readerIndex());
        } finally {
            content.release();
        }
    }

    private static void advance(EmbeddedChannel channel, long ms) {
        channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void withoutRulesEveryDatagramPassesInOrder() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        for (int i = 0; i < 100; i++) {
            channel.writeInbound(from(CLIENT, i));
            channel.writeOutbound(to(CLIENT, i));
        }
        List<Integer> expected = java.util.stream.IntStream.range(0, 100).boxed().toList();
        assertThat(received(channel)).isEqualTo(expected);
        assertThat(sent(channel)).isEqualTo(expected);
        assertThat(faults.counters()).isEqualTo(new NetworkFaults.Counters(0, 0, 0, 0, 0, 0));
    }

    @Test
    void dropPercentHoldsOverManyDatagramsAndIsCounted() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().protocol(Protocol.UDP).drop(30).build());
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            channel.writeInbound(from(CLIENT, i));
        }
        int delivered = received(channel).size();
        // Binomial(10000, 0.7): sd ~46; 250 is over 5 sd, so a correct decorator fails about never.
        assertThat(delivered).as("seed %d", seed).isBetween(7_000 - 250, 7_000 + 250);
        assertThat(faults.counters().dropped()).as("seed %d", seed).isEqualTo(n - delivered);
    }

    @Test
    void theSameSeedDropsTheSameDatagrams() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        List<List<Integer>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            arm(rule().drop(50).build());
            for (int i = 0; i < 200; i++) {
                channel.writeInbound(from(CLIENT, i));
            }
            runs.add(received(channel));
        }
        assertThat(runs.get(1)).as("seed %d", seed).isEqualTo(runs.get(0));
    }

    @Test
    void duplicatesArriveTwiceBothWays() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().duplicate(100).build());
        channel.writeInbound(from(CLIENT, 1));
        channel.writeOutbound(to(CLIENT, 2));
        assertThat(received(channel)).containsExactly(1, 1);
        assertThat(sent(channel)).containsExactly(2, 2);
        assertThat(faults.counters().duplicated()).isEqualTo(2);
    }

    @Test
    void delayedDatagramsArriveWhenTheirTimeHasComeAndNotBefore() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().delay(100, 0).build());
        channel.writeInbound(from(CLIENT, 1));
        channel.writeOutbound(to(CLIENT, 2));
        advance(channel, 99);
        assertThat(received(channel)).isEmpty();
        assertThat(sent(channel)).isEmpty();
        assertThat(faults.heldBytes()).isPositive();
        advance(channel, 1);
        assertThat(received(channel)).containsExactly(1);
        assertThat(sent(channel)).containsExactly(2);
        assertThat(faults.heldBytes()).isZero();
        assertThat(faults.counters().delayed()).isEqualTo(2);
    }

    @Test
    void jitterSpreadsDelaysWithinItsRange() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().delay(10, 40).build());
        for (int i = 0; i < 100; i++) {
            channel.writeInbound(from(CLIENT, i));
        }
        advance(channel, 9);
        assertThat(received(channel)).isEmpty();
        advance(channel, 25);
        int early = received(channel).size();
        advance(channel, 16);
        int late = received(channel).size();
        assertThat(early).as("seed %d", seed).isBetween(20, 90);
        assertThat(early + late).isEqualTo(100);
    }

    @Test
    void reorderLetsLaterDatagramsOvertakeButLosesNone() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().reorder().build());
        for (int i = 0; i < 200; i++) {
            channel.writeInbound(from(CLIENT, i));
        }
        List<Integer> order = new ArrayList<>(received(channel));
        advance(channel, NetworkFaults.REORDER_HOLD_MS);
        order.addAll(received(channel));
        assertThat(order).as("seed %d", seed).hasSize(200).doesNotHaveDuplicates()
                .isNotEqualTo(order.stream().sorted().toList());
        assertThat(faults.counters().reordered()).as("seed %d", seed).isBetween(50L, 150L);
        assertThat(faults.heldBytes()).isZero();
    }

    @Test
    void aHeldDatagramGoesAfterItsHoldTimeWhenNothingOvertakesIt() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().reorder().build());
        int held = 0;
        for (int i = 0; held == 0; i++) {
            channel.writeInbound(from(CLIENT, i));
            held = received(channel).isEmpty() ? 1 : 0;
        }
        advance(channel, NetworkFaults.REORDER_HOLD_MS - 1);
        assertThat(received(channel)).isEmpty();
        advance(channel, 1);
        assertThat(received(channel)).hasSize(1);
    }

    @Test
    void rulesMatchByPeerAndDirection() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().peer(CLIENT).direction(Direction.INBOUND).drop(100).build());
        channel.writeInbound(from(CLIENT, 1), from(OTHER, 2));
        channel.writeOutbound(to(CLIENT, 3), to(OTHER, 4));
        assertThat(received(channel)).containsExactly(2);
        assertThat(sent(channel)).containsExactly(3, 4);
    }

    @Test
    void aCutPeerLosesEverythingBothWaysWhileOthersPass() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().drop(0).duplicate(0).build(), rule().peer(CLIENT).cut().build());
        for (int i = 0; i < 50; i++) {
            channel.writeInbound(from(CLIENT, i), from(OTHER, i));
            channel.writeOutbound(to(CLIENT, i), to(OTHER, i));
        }
        assertThat(received(channel)).hasSize(50);
        assertThat(sent(channel)).hasSize(50);
        assertThat(faults.counters().cut()).isEqualTo(100);
        assertThat(channel.isOpen()).as("a UDP socket serves everyone: it stays open").isTrue();
    }

    @Test
    void aCutClosesTheTcpConnectionAndRefusesNewOnes() {
        EmbeddedChannel connection = channel(Protocol.TCP, CLIENT);
        arm(rule().protocol(Protocol.TCP).peer(CLIENT).cut().build());
        connection.writeInbound(Unpooled.copyInt(1));
        assertThat(received(connection)).isEmpty();
        assertThat(connection.isOpen()).isFalse();

        EmbeddedChannel again = channel(Protocol.TCP, CLIENT);
        assertThat(again.isOpen()).as("refused on accept").isFalse();
        EmbeddedChannel other = channel(Protocol.TCP, OTHER);
        other.writeInbound(Unpooled.copyInt(2));
        assertThat(received(other)).containsExactly(2);
        assertThat(other.isOpen()).isTrue();
    }

    @Test
    void tcpFramesAreDroppedAndDuplicatedWhole() {
        EmbeddedChannel connection = channel(Protocol.TCP, CLIENT);
        arm(rule().protocol(Protocol.TCP).duplicate(100).build());
        connection.writeInbound(Unpooled.copyInt(7));
        connection.writeOutbound(Unpooled.copyInt(8));
        assertThat(received(connection)).containsExactly(7, 7);
        assertThat(sent(connection)).containsExactly(8, 8);
        arm(rule().protocol(Protocol.UDP).drop(100).build());
        connection.writeInbound(Unpooled.copyInt(9));
        assertThat(received(connection)).as("a UDP rule leaves TCP alone").containsExactly(9);
    }

    @Test
    void whatWouldWaitBeyondTheBoundIsDroppedAndCounted() {
        NetworkFaults small = new NetworkFaults(new ManualDelayer(), 10 * (4 + NetworkFaults.MESSAGE_OVERHEAD_BYTES));
        EmbeddedChannel channel = new EmbeddedChannel(small.channelHook(Protocol.UDP).newHandler());
        channel.freezeTime();
        channels.add(channel);
        small.arm(List.of(rule().delay(1_000, 0).build()), seed);
        for (int i = 0; i < 15; i++) {
            channel.writeInbound(from(CLIENT, i));
        }
        assertThat(small.counters().overflowed()).isEqualTo(5);
        advance(channel, 1_000);
        assertThat(received(channel)).hasSize(10);
        assertThat(small.heldBytes()).isZero();
    }

    @Test
    void lostAndStillHeldMessagesAreReleased() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().drop(100).build());
        DatagramPacket lost = from(CLIENT, 1);
        channel.writeInbound(lost);
        assertThat(lost.refCnt()).isZero();

        arm(rule().reorder().build());
        List<DatagramPacket> packets = new ArrayList<>();
        for (int i = 0; i == 0 || faults.heldBytes() == 0; i++) {
            packets.add(from(CLIENT, i));
            channel.writeInbound(packets.getLast());
            received(channel);
        }
        channel.close();
        assertThat(packets).as("seed %d", seed).allSatisfy(packet -> assertThat(packet.refCnt()).isZero());
        assertThat(faults.heldBytes()).isZero();
    }

    @Test
    void healRestoresTheNetworkAndCountersStopGrowing() {
        EmbeddedChannel channel = channel(Protocol.UDP, null);
        arm(rule().drop(100).build());
        channel.writeInbound(from(CLIENT, 1));
        assertThat(received(channel)).isEmpty();
        faults.heal();
        NetworkFaults.Counters healed = faults.counters();
        for (int i = 0; i < 100; i++) {
            channel.writeInbound(from(CLIENT, i));
        }
        assertThat(received(channel)).hasSize(100);
        assertThat(faults.counters()).isEqualTo(healed);
        assertThat(faults.plan().rules()).isEmpty();
        assertThat(faults.plan().seed()).isNull();
    }
}
