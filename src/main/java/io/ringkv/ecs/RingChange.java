package io.ringkv.ecs;

import io.ringkv.ring.Member;
import io.ringkv.ring.Ring;
import io.ringkv.ring.Transfer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The plan of one ring change, computed without I/O: the ring before and after (one epoch apart),
 * the members that must hand data off (every {@code from} of the transfers), and the order in
 * which the new ring is published.
 *
 * @param sources members of {@code before} that stream ranges away, sorted by id
 * @param gainers members of {@code after} that receive ranges, sorted by id
 */
public record RingChange(Ring before, Ring after, List<Member> sources, List<Member> gainers) {

    public RingChange {
        sources = List.copyOf(sources);
        gainers = List.copyOf(gainers);
    }

    /** Adds members in one step (one epoch bump however many join). */
    public static RingChange adding(Ring current, List<Member> newcomers) {
        List<Member> members = new ArrayList<>(current.members());
        for (Member m : newcomers) {
            if (current.member(m.id()).isPresent()) {
                throw new IllegalArgumentException("node " + m.id() + " is already in the ring");
            }
            members.add(m);
        }
        return between(current, current.withMembers(current.epoch() + 1, members));
    }

    /** Removes one member; its ranges go to their successors. */
    public static RingChange removing(Ring current, String id) {
        if (current.member(id).isEmpty()) {
            throw new IllegalArgumentException("node " + id + " is not in the ring");
        }
        if (current.members().size() == 1) {
            throw new IllegalArgumentException("node " + id + " is the last member; its data has nowhere to go");
        }
        return between(current, current.minus(id));
    }

    /**
     * The same members under the next epoch. Every member hands off to that target: a node whose
     * ring agrees with the ECS has nothing to send and is READY at once, so a rebalance is harmless
     * when nothing needs moving, and it repairs a node that kept ranges it no longer owns.
     */
    public static RingChange rebalancing(Ring current) {
        return new RingChange(current, current.withEpoch(current.epoch() + 1), current.members(), List.of());
    }

    private static RingChange between(Ring before, Ring after) {
        Set<String> from = new LinkedHashSet<>();
        Set<String> to = new LinkedHashSet<>();
        for (Transfer t : Ring.transfers(before, after)) {
            from.add(t.from());
            to.add(t.to());
        }
        return new RingChange(before, after,
                before.members().stream().filter(m -> from.contains(m.id())).toList(),
                after.members().stream().filter(m -> to.contains(m.id())).toList());
    }

    /** Members that join with this change (in {@code after}, not in {@code before}). */
    public List<Member> joining() {
        return after.members().stream().filter(m -> before.member(m.id()).isEmpty()).toList();
    }

    /** Members that leave with this change (in {@code before}, not in {@code after}). */
    public List<Member> leaving() {
        return before.members().stream().filter(m -> after.member(m.id()).isEmpty()).toList();
    }

    /**
     * Who learns the new ring, in order: the gainers first, so that a key is served by its new
     * owner before an old owner drops it; then the other members; the leaving members last.
     */
    public List<Member> publishOrder() {
        List<Member> order = new ArrayList<>(gainers);
        after.members().stream().filter(m -> !gainers.contains(m)).forEach(order::add);
        order.addAll(leaving());
        return order;
    }
}
