package io.ringkv.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.cluster.ClusterState;
import io.ringkv.cluster.Lease;
import io.ringkv.cluster.Peers;
import io.ringkv.membership.SwimConfig;
import io.ringkv.membership.SwimRunner;
import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.RingMessages;
import io.ringkv.wire.Command;
import io.ringkv.wire.ErrorCode;
import io.ringkv.wire.proto.KVResponse;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two members of an ECS's ring gossiping on loopback sockets with the test timings (200 ms
 * period): a ring one of them adopts reaches the other through gossip alone (its datagrams carry
 * the epoch, the other pulls the ring from it over the data plane, here a stand-in that answers
 * GET_RING from the first member's state), and a member that leaves is reported dead.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EcsGossipTest {
    private static final int OFFSET = 1_000;
    private static final long WAIT_MS = 15_000;
    private final List<EcsGossip> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(EcsGossip::close);
    }

    @Test
    void aNewerRingSpreadsByGossipAndAMemberThatLeftIsReportedDead() throws Exception {
        int portA = freeGossipPort() - OFFSET;
        int portB = freeGossipPort() - OFFSET;
        Member a = new Member("a", "127.0.0.1", portA, 0);
        Member b = new Member("b", "127.0.0.1", portB, 0);
        Ring first = Ring.of(1, 16, 2, List.of(a, b));
        ClusterState clusterA = new ClusterState("a", true, first, Lease.notRequired());
        ClusterState clusterB = new ClusterState("b", true, first, Lease.notRequired());
        List<String> asked = new CopyOnWriteArrayList<>();
        Map<String, ClusterState> byId = Map.of("a", clusterA, "b", clusterB);
        Peers dataPlane = (peer, request) -> {
            asked.add(peer.id() + ":" + Command.of(request.getCommand()));
            return CompletableFuture.completedFuture(KVResponse.newBuilder().setErrCode(ErrorCode.SUCCESS.code())
                    .setRing(RingMessages.toInfo(byId.get(peer.id()).ring())).build());
        };
        EcsGossip gossipA = start(a, clusterA, dataPlane);
        EcsGossip gossipB = start(b, clusterB, dataPlane);
        await(() -> gossipA.view().liveCount() == 2 && gossipB.view().liveCount() == 2, "both see each other");
        assertThat(gossipA.relays()).containsExactly(b);
        assertThat(gossipA.dead()).isEmpty();

        clusterB.adopt(first.withEpoch(2));
        await(() -> clusterA.epoch() == 2, "a routes by b's newer ring");
        assertThat(gossipA.ringsFromGossip()).isEqualTo(1);
        assertThat(asked).contains("b:GET_RING").doesNotContain("a:GET_RING");
        assertThat(gossipB.ringsFromGossip()).isZero();

        gossipB.close(); // announces that it leaves
        started.remove(gossipB);
        await(() -> gossipA.dead().contains("b"), "a finds b gone");
        assertThat(gossipA.relays()).isEmpty();
    }

    private EcsGossip start(Member self, ClusterState cluster, Peers peers) throws IOException {
        EcsGossip gossip = new EcsGossip(self.id(), self.host(), self.port(), OFFSET, SwimConfig.forTests(), null,
                cluster, peers, SwimRunner.DatagramFilter.NONE);
        started.add(gossip);
        return gossip;
    }

    private static int freeGossipPort() throws IOException {
        while (true) {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                if (socket.getLocalPort() > OFFSET) {
                    return socket.getLocalPort();
                }
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_MS + " ms: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
