package io.ringkv.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.membership.MembershipCodec.Decoded;
import io.ringkv.membership.Message.SyncReply;
import io.ringkv.membership.SwimCore.Outgoing;
import io.ringkv.membership.SwimCore.Output;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A member joins through a seed that knows 300 members: the seed's table arrives page by page, each
 * page one datagram within the limit, and the seed learns the newcomer. Two real cores, every
 * message through the codec; datagrams to the 299 members that are not played are lost.
 */
class JoinTest {
    private static final SwimConfig CONFIG = SwimConfig.defaults();
    private final MembershipCodec codec = new MembershipCodec("a cluster key of sixteen bytes".getBytes(), 1_400);
    private final Map<Address, SwimCore> cores = new HashMap<>();
    private final ArrayDeque<Datagram> wire = new ArrayDeque<>();

    private record Datagram(Address to, Address from, byte[] bytes) {}
    private long nowMs = 5_000;
    private int pages;
    private int largestBytes;

    @Test
    void aJoiningMemberPullsTheWholeTableInPagesAndBecomesKnown() {
        Endpoint seed = Endpoint.of("seed", "10.0.0.1", 7000);
        List<Endpoint> known = new ArrayList<>();
        for (int i = 0; i < 299; i++) {
            known.add(Endpoint.of(String.format("m%03d", i), "10.0.1." + (i % 250), 7000 + i));
        }
        SwimCore seedCore = new SwimCore(CONFIG, seed, new SplittableRandom(1), nowMs);
        seedCore.addMembers(known, nowMs);
        cores.put(seed.address(), seedCore);
        Endpoint joiner = Endpoint.of("joiner", "10.0.0.2", 7000);
        SwimCore joinerCore = new SwimCore(CONFIG, joiner, new SplittableRandom(2), nowMs);
        cores.put(joiner.address(), joinerCore);

        send(joiner.address(), joinerCore.join(List.of(seed.address()), nowMs));
        runUntil(nowMs + CONFIG.periodMs());

        assertThat(joinerCore.liveMembers()).hasSize(300).contains(seed).containsAll(known);
        assertThat(seedCore.liveMembers()).contains(joiner);
        assertThat(pages).as("pages of the seed's table").isGreaterThan(5);
        assertThat(largestBytes).isLessThanOrEqualTo(CONFIG.datagramBytesMax());
        assertThat(joinerCore.gossipPending()).as("a table learned by sync is not news to gossip").isZero();
    }

    private void runUntil(long untilMs) {
        while (true) {
            while (!wire.isEmpty()) {
                Datagram datagram = wire.poll();
                Decoded decoded = codec.decode(datagram.bytes(), 0, datagram.bytes().length);
                Message message = ((Decoded.Ok) decoded).message();
                if (message instanceof SyncReply) {
                    pages++;
                }
                send(datagram.to(), cores.get(datagram.to()).handle(datagram.from(), message, nowMs));
            }
            SwimCore next = cores.values().stream().min((a, b) -> Long.compare(a.nextTickAtMs(), b.nextTickAtMs()))
                    .orElseThrow();
            if (next.nextTickAtMs() > untilMs) {
                return;
            }
            nowMs = Math.max(nowMs, next.nextTickAtMs());
            send(next.self().address(), next.tick(nowMs));
        }
    }

    private void send(Address from, Output output) {
        for (Outgoing outgoing : output.messages()) {
            byte[] bytes = codec.encode(outgoing.message());
            largestBytes = Math.max(largestBytes, bytes.length);
            if (cores.containsKey(outgoing.to())) {
                wire.add(new Datagram(outgoing.to(), from, bytes));
            }
        }
    }
}
