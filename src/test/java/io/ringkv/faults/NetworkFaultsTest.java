package io.ringkv.faults;

import static io.ringkv.faults.Rules.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a plan decides: cut before anything, then the first matching rule, then nothing. */
class NetworkFaultsTest {
    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 43101);
    private static final InetSocketAddress OTHER = new InetSocketAddress("127.0.0.1", 43102);

    private final NetworkFaults faults = new NetworkFaults(new ManualDelayer(), NetworkFaults.HELD_BYTES_MAX);

    @Test
    void aCutWinsOverAnEarlierRuleAndTheFirstMatchDecidesTheRest() {
        faults.arm(List.of(
                rule().peer(OTHER).drop(100).build(),
                rule().delay(7, 0).build(),
                rule().drop(100).build(),
                rule().peer(PEER).protocol(Protocol.TCP).cut().build()), 1);
        assertThat(faults.decide(Protocol.TCP, Direction.INBOUND, PEER)).isEqualTo(Fate.CUT);
        assertThat(faults.decide(Protocol.UDP, Direction.INBOUND, PEER)).isEqualTo(new Fate.Deliver(1, 7, false));
        assertThat(faults.decide(Protocol.UDP, Direction.OUTBOUND, OTHER)).isEqualTo(Fate.DROP);
        assertThat(faults.cuts(Protocol.TCP, PEER)).isTrue();
        assertThat(faults.cuts(Protocol.UDP, PEER)).isFalse();
        assertThat(faults.cuts(Protocol.TCP, OTHER)).isFalse();
    }

    @Test
    void unmatchedTrafficAndTrafficOfAnUnknownPeerPass() {
        faults.arm(List.of(rule().peer(PEER).direction(Direction.OUTBOUND).drop(100).build()), 1);
        assertThat(faults.decide(Protocol.UDP, Direction.INBOUND, PEER)).isSameAs(Fate.PASS);
        assertThat(faults.decide(Protocol.UDP, Direction.OUTBOUND, null)).isSameAs(Fate.PASS);
        assertThat(faults.decide(Protocol.UDP, Direction.OUTBOUND, PEER)).isEqualTo(Fate.DROP);
    }

    @Test
    void armingShowsThePlanAndAnEmptyPlanHeals() {
        NetworkRule rule = rule().drop(5).build();
        faults.arm(List.of(rule), 42);
        assertThat(faults.plan()).isEqualTo(new NetworkFaults.Plan(List.of(rule), 42L));
        faults.arm(List.of(), 43);
        assertThat(faults.plan()).isEqualTo(new NetworkFaults.Plan(List.of(), null));
        assertThatThrownBy(() -> faults.arm(Collections.nCopies(NetworkFaults.RULES_MAX + 1, rule), 1))
                .hasMessageContaining("at most");
    }
}
