package io.ringkv.sim;

import io.ringkv.membership.Address;
import io.ringkv.membership.Endpoint;
import io.ringkv.membership.Message;
import io.ringkv.membership.MembershipEvent;
import io.ringkv.membership.SwimConfig;
import io.ringkv.membership.SwimCore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A seeded discrete-event simulation of members running the real {@link SwimCore} over a
 * {@link SimNetwork} on a simulated clock. One seed fixes everything: every core's randomness, the
 * network's losses and delays, and the order of simultaneous events (by the order they were
 * scheduled), so a failure replays exactly from its seed.
 *
 * <p>Member faults modelled: a <em>crash</em> stops a member for good (datagrams to it are lost,
 * its timers never fire); a <em>pause</em> (SIGSTOP, a long GC) stops its timers while datagrams to
 * it wait in its socket buffer (up to {@link #HELD_DATAGRAMS_MAX}, beyond which they are lost), and
 * a <em>resume</em> hands it the waiting datagrams, then a tick, at the resume time. Members never
 * lie: no forged messages, no clock drift (time passes at one rate for all, each member only sees
 * it through its own calls).
 *
 * <p>Bounded: {@link #run} fails after {@code eventsMax} events or {@code wallMsMax} of real time,
 * whichever comes first, naming the seed.
 */
final class SwimSimulation {
    /** What a socket buffer of a few hundred KiB holds of membership datagrams. */
    static final int HELD_DATAGRAMS_MAX = 2_048;

    /** Receives every membership event of every member, in simulated-time order. */
    interface Observer {
        void onEvent(int observer, MembershipEvent event, long nowMs);
    }

    enum State { RUNNING, PAUSED, CRASHED }

    final class Node {
        final int index;
        final Endpoint endpoint;
        final SwimCore core;
        State state = State.RUNNING;
        /** When its tick is scheduled; ticks scheduled for another time are stale and skipped. */
        long tickAtMs = Long.MIN_VALUE;
        final ArrayDeque<Event> held = new ArrayDeque<>();
        long sent;

        Node(int index, Endpoint endpoint, SwimCore core) {
            this.index = index;
            this.endpoint = endpoint;
            this.core = core;
        }
    }

    /** A datagram arriving, or a tick (message null) due. */
    record Event(long atMs, long order, Node to, Address from, Message message) {}

    final long seed;
    final SwimConfig config;
    final SimNetwork network;
    private final SplittableRandom random;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.atMs != b.atMs
            ? Long.compare(a.atMs, b.atMs) : Long.compare(a.order, b.order));
    private final List<Node> nodes = new ArrayList<>();
    private final Map<Address, Node> byAddress = new HashMap<>();
    private final List<Observer> observers = new ArrayList<>();
    private long order;
    private long nowMs;
    private long events;
    private long sent;

    SwimSimulation(long seed, SwimConfig config, double lossRate, long delayMinMs, long delayMaxMs) {
        this.seed = seed;
        this.config = config;
        this.random = new SplittableRandom(seed);
        this.network = new SimNetwork(random.split(), lossRate, delayMinMs, delayMaxMs);
    }

    void observe(Observer observer) {
        observers.add(observer);
    }

    static Endpoint endpoint(int index) {
        return Endpoint.of(String.format("m%05d", index), "sim", 1 + index);
    }

    /** Starts {@code n} members that all know each other from the start (a static peer list). */
    void startAll(int n) {
        List<Endpoint> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(endpoint(nodes.size() + i));
        }
        for (Endpoint endpoint : all) {
            Node node = newNode(endpoint);
            deliver(node, node.core.addMembers(all, nowMs));
        }
    }

    /** Starts one more member that joins through the member at {@code seedIndex}. Returns its index. */
    int join(int seedIndex) {
        Node node = newNode(endpoint(nodes.size()));
        deliver(node, node.core.join(List.of(nodes.get(seedIndex).endpoint.address()), nowMs));
        return node.index;
    }

    private Node newNode(Endpoint endpoint) {
        Node node = new Node(nodes.size(), endpoint, new SwimCore(config, endpoint, random.split(), nowMs));
        nodes.add(node);
        byAddress.put(endpoint.address(), node);
        return node;
    }

    /** The member announces that it leaves; it keeps running (answering probes) until crashed. */
    void leave(int index) {
        Node node = nodes.get(index);
        deliver(node, node.core.leave(nowMs));
    }

    void crash(int index) {
        Node node = nodes.get(index);
        node.state = State.CRASHED;
        node.held.clear();
    }

    void pause(int index) {
        nodes.get(index).state = State.PAUSED;
    }

    void resume(int index) {
        Node node = nodes.get(index);
        node.state = State.RUNNING;
        while (!node.held.isEmpty()) {
            Event held = node.held.poll();
            deliver(node, node.core.handle(held.from(), held.message(), nowMs));
        }
        deliver(node, node.core.tick(nowMs));
    }

    /**
     * Runs events until simulated time {@code untilMs}.
     *
     * @throws AssertionError naming the seed when the event or wall-time budget runs out
     */
    void runUntil(long untilMs, long eventsMax, long wallMsMax) {
        long wallDeadline = System.nanoTime() + wallMsMax * 1_000_000;
        long budget = events + eventsMax;
        while (!queue.isEmpty() && queue.peek().atMs() <= untilMs) {
            step(queue.poll());
            if (++events > budget || (events & 4095) == 0 && System.nanoTime() > wallDeadline) {
                throw new AssertionError("simulation budget exhausted at " + nowMs + " ms after " + events
                        + " events (seed " + seed + ")");
            }
        }
        nowMs = Math.max(nowMs, untilMs);
    }

    private void step(Event event) {
        nowMs = event.atMs();
        Node node = event.to();
        if (node.state == State.CRASHED) {
            return;
        }
        if (event.message() == null) {
            if (event.atMs() != node.tickAtMs) {
                return; // a stale tick, replaced by one at another time
            }
            if (node.state == State.PAUSED) {
                node.tickAtMs = Long.MIN_VALUE; // its timers do not fire; resume ticks it
                return;
            }
            node.tickAtMs = Long.MIN_VALUE;
            deliver(node, node.core.tick(nowMs));
        } else if (node.state == State.PAUSED) {
            if (node.held.size() < HELD_DATAGRAMS_MAX) {
                node.held.add(event);
            }
        } else {
            deliver(node, node.core.handle(event.from(), event.message(), nowMs));
        }
    }

    /** Sends what a core produced, tells the observers its events, and schedules its next tick. */
    private void deliver(Node node, SwimCore.Output output) {
        for (SwimCore.Outgoing outgoing : output.messages()) {
            node.sent++;
            sent++;
            Node to = byAddress.get(outgoing.to());
            if (to == null) {
                continue;
            }
            long delayMs = network.delayMs(node.index, to.index);
            if (delayMs >= 0) {
                queue.add(new Event(nowMs + delayMs, order++, to, node.endpoint.address(), outgoing.message()));
            }
        }
        for (MembershipEvent event : output.events()) {
            for (Observer observer : observers) {
                observer.onEvent(node.index, event, nowMs);
            }
        }
        long tickAtMs = Math.max(nowMs, node.core.nextTickAtMs());
        if (tickAtMs != node.tickAtMs && node.state == State.RUNNING) {
            node.tickAtMs = tickAtMs;
            queue.add(new Event(tickAtMs, order++, node, null, null));
        }
    }

    long nowMs() {
        return nowMs;
    }

    Node node(int index) {
        return nodes.get(index);
    }

    int size() {
        return nodes.size();
    }

    /** Datagrams sent by all members so far, lost ones included. */
    long sent() {
        return sent;
    }

    long events() {
        return events;
    }

    /** A number drawn from the simulation's own stream, for tests choosing whom to fault. */
    int randomIndex(int bound) {
        return random.nextInt(bound);
    }
}
