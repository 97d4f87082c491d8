package io.ringkv.faults;

import io.ringkv.faults.NetworkRule.Direction;
import io.ringkv.faults.NetworkRule.Protocol;
import java.net.InetSocketAddress;

/** Builds rules for the tests: everything off unless a test turns it on. */
final class Rules {
    private Protocol protocol = Protocol.ALL;
    private Direction direction = Direction.BOTH;
    private InetSocketAddress peer;
    private double dropPercent;
    private double duplicatePercent;
    private int delayMs;
    private int jitterMs;
    private boolean reorder;
    private boolean cut;

    static Rules rule() {
        return new Rules();
    }

    Rules protocol(Protocol value) {
        protocol = value;
        return this;
    }

    Rules direction(Direction value) {
        direction = value;
        return this;
    }

    Rules peer(InetSocketAddress value) {
        peer = value;
        return this;
    }

    Rules drop(double percent) {
        dropPercent = percent;
        return this;
    }

    Rules duplicate(double percent) {
        duplicatePercent = percent;
        return this;
    }

    Rules delay(int ms, int jitter) {
        delayMs = ms;
        jitterMs = jitter;
        return this;
    }

    Rules reorder() {
        reorder = true;
        return this;
    }

    Rules cut() {
        cut = true;
        return this;
    }

    NetworkRule build() {
        return new NetworkRule(protocol, direction, peer, dropPercent, duplicatePercent, delayMs, jitterMs, reorder,
                cut);
    }
}
