package io.ringkv.ecs;

import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.ring.Member;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With a push fanout, a new ring goes to the members that gain ranges and to that many others; the
 * rest learn it from their peers' gossip, and the background tick pushes to whoever is still behind.
 */
class RingPushFanoutTest extends CoordinatorHarness {
    @Override
    int ringPushFanout() {
        return 1;
    }

    private List<String> pushedAt(long epoch) {
        return nodes.calls.stream().filter(c -> c.startsWith("putRing@" + epoch + " ")).map(c -> c.substring(
                c.indexOf(' ') + 1)).toList();
    }

    @Test
    void aRingChangeIsPushedToItsGainersAndOneOtherAndTheTickReachesTheRest() {
        OperationView op = coordinator.addNodes(1);
        runQueued();
        assertThat(coordinator.operation(op.id()).orElseThrow().state()).isEqualTo(OperationState.SUCCEEDED);
        assertThat(coordinator.ring().epoch()).isEqualTo(2);
        List<String> pushed = pushedAt(2);
        assertThat(pushed).as("the newcomer, which gains, and one other").hasSize(2).contains("node-4");

        coordinator.tick(); // none of them heartbeat here: the tick pushes to the two still behind
        assertThat(pushedAt(2)).containsExactlyInAnyOrderElementsOf(
                coordinator.ring().members().stream().map(Member::id).toList());
    }
}
