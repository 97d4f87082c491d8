package io.ringkv.membership;

import io.ringkv.membership.SwimCore.Outgoing;
import io.ringkv.membership.SwimCore.Output;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One core under test on a manual clock, with everything it sent and every event it reported kept
 * in order: the test plays the other members by hand. {@link #advanceTo} ticks the core at each
 * time it asks to be ticked, as a runner would.
 */
final class Scenario {
    static final SwimConfig CONFIG = SwimConfig.defaults();
    static final Endpoint A = Endpoint.of("a", "10.0.0.1", 7001);
    static final Endpoint B = Endpoint.of("b", "10.0.0.2", 7002);
    static final Endpoint C = Endpoint.of("c", "10.0.0.3", 7003);
    static final Endpoint D = Endpoint.of("d", "10.0.0.4", 7004);
    static final Endpoint E = Endpoint.of("e", "10.0.0.5", 7005);

    final SwimCore core;
    final List<Outgoing> sent = new ArrayList<>();
    final List<MembershipEvent> events = new ArrayList<>();
    long nowMs = 1_000_000;

    Scenario(SwimConfig config, long seed, Endpoint... others) {
        core = new SwimCore(config, A, new SplittableRandom(seed), nowMs);
        record(core.addMembers(List.of(others), nowMs));
        events.clear();
    }

    Scenario(Endpoint... others) {
        this(CONFIG, 42, others);
    }

    void advanceTo(long untilMs) {
        while (core.nextTickAtMs() <= untilMs) {
            nowMs = Math.max(nowMs, core.nextTickAtMs());
            record(core.tick(nowMs));
        }
        nowMs = Math.max(nowMs, untilMs);
    }

    void advanceBy(long ms) {
        advanceTo(nowMs + ms);
    }

    void receive(Endpoint from, Message message) {
        record(core.handle(from.address(), message, nowMs));
    }

    void record(Output output) {
        sent.addAll(output.messages());
        events.addAll(output.events());
    }

    /** Advances until the core sends its next message of {@code type}, and returns it (clearing what came before). */
    <M extends Message> Outgoing next(Class<M> type, long withinMs) {
        long untilMs = nowMs + withinMs;
        while (true) {
            for (int i = 0; i < sent.size(); i++) {
                if (type.isInstance(sent.get(i).message())) {
                    Outgoing found = sent.get(i);
                    sent.subList(0, i + 1).clear();
                    return found;
                }
            }
            sent.clear();
            if (core.nextTickAtMs() > untilMs) {
                throw new AssertionError("no " + type.getSimpleName() + " within " + withinMs + " ms");
            }
            nowMs = Math.max(nowMs, core.nextTickAtMs());
            record(core.tick(nowMs));
        }
    }

    static Endpoint endpointAt(Address address) {
        for (Endpoint e : List.of(A, B, C, D, E)) {
            if (e.address().equals(address)) {
                return e;
            }
        }
        throw new AssertionError("no member at " + address);
    }

    <E extends MembershipEvent> List<E> events(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
