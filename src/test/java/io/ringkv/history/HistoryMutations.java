package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Changes one answer of a history (from {@link SimulatedRegisters}, or recorded from a real node)
 * so that the history certainly has no linearization: a negative control for the checker. Many
 * plausible mutations (a read returning an older value, say) are sometimes still linearizable;
 * each one here states why it never is, relying on every PUT writing a value no other PUT writes. "Before" means real-time precedence: completed strictly before the other was
 * invoked (equal times count as concurrent, as in the checker).
 */
public final class HistoryMutations {
    private HistoryMutations() {}

    /** The mutated history, the key it broke, and what was changed, for failure messages. */
    public record Mutated(List<Operation> history, ByteString key, String what) {}

    public enum Mutation {
        /** A read returns the value of a PUT invoked after the read completed; only that PUT wrote it. */
        FUTURE_READ,
        /** A read returns w1's value though w1 is before w2, w2 before the read; nothing writes w1's value again. */
        STALE_READ,
        /** A read returns bytes no PUT wrote. */
        NEVER_WRITTEN,
        /** A read returns written bytes with a version no PUT gave them. */
        WRONG_VERSION,
        /** A read before which a PUT completed finds the key absent, and no REMOVE could fall in between. */
        LOST_WRITE,
        /** A REMOVE after a REMOVE that answered SUCCESS answers SUCCESS too, and no PUT could fall in between. */
        REMOVE_TWICE
    }

    /**
     * Empty when the history has no place for this mutation. Targets are tried in random order and
     * the first with a place is changed; each try costs one pass over the target's key, so that
     * histories of tens of thousands of operations mutate quickly.
     */
    public static Optional<Mutated> apply(Mutation mutation, List<Operation> ops, Random random) {
        Map<ByteString, List<Operation>> byKey = new HashMap<>();
        List<Operation> targets = new ArrayList<>();
        for (Operation op : ops) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            if (op.outcome() == Outcome.OK && op.kind() != Kind.PUT) {
                targets.add(op);
            }
        }
        Collections.shuffle(targets, random);
        for (Operation target : targets) {
            List<Change> candidates = changes(mutation, target, byKey.get(target.key()));
            if (!candidates.isEmpty()) {
                return Optional.of(mutate(ops, candidates.get(random.nextInt(candidates.size()))));
            }
        }
        return Optional.empty();
    }

    private static List<Change> changes(Mutation mutation, Operation target, List<Operation> keyOps) {
        List<Change> candidates = new ArrayList<>();
        boolean get = target.kind() == Kind.GET;
        switch (mutation) {
            case FUTURE_READ -> {
                for (Operation w : writes(keyOps, Kind.PUT, false)) {
                    if (get && w.invokeNanos() > target.completeNanos()) {
                        candidates.add(read(target, w.written(), "reads " + w.written() + " of #" + w.id()));
                    }
                }
            }
            case STALE_READ -> {
                Operation w2 = latestBefore(writes(keyOps, Kind.PUT, true), target);
                for (Operation w1 : writes(keyOps, Kind.PUT, true)) {
                    if (get && w2 != null && before(w1, w2)) {
                        candidates.add(read(target, w1.written(), "reads " + w1.written() + " of #" + w1.id()
                                + ", overwritten by #" + w2.id()));
                    }
                }
            }
            case NEVER_WRITTEN -> {
                if (get) {
                    candidates.add(read(target, Value.of("never-written", 0), "reads a value never written"));
                }
            }
            case WRONG_VERSION -> {
                if (get && target.reply().found()) {
                    Value seen = target.reply().read();
                    candidates.add(read(target, new Value(seen.bytes(), seen.version() + 1_000),
                            "reads " + seen + " with version +1000"));
                }
            }
            case LOST_WRITE -> {
                // The latest write before the read leaves the least room for a remove in between.
                Operation w = latestBefore(writes(keyOps, Kind.PUT, true), target);
                if (get && w != null
                        && writes(keyOps, Kind.REMOVE, false).stream().noneMatch(r -> between(r, w, target))) {
                    candidates.add(new Change(target, Reply.NO_SUCH_KEY, "misses #" + w.id()));
                }
            }
            case REMOVE_TWICE -> {
                List<Operation> found = writes(keyOps, Kind.REMOVE, true).stream().filter(r -> r.reply().found())
                        .toList();
                Operation r1 = latestBefore(found, target);
                if (target.kind() == Kind.REMOVE && !target.reply().found() && r1 != null
                        && writes(keyOps, Kind.PUT, false).stream().noneMatch(p -> between(p, r1, target))) {
                    candidates.add(new Change(target, Reply.SUCCESS, "removes again after #" + r1.id()));
                }
            }
        }
        return candidates;
    }

    private static Mutated mutate(List<Operation> ops, Change change) {
        Operation target = change.target;
        List<Operation> out = new ArrayList<>(ops);
        out.set(ops.indexOf(target), new Operation(target.id(), target.process(), target.key(), target.kind(),
                target.written(), target.invokeNanos(), target.outcome(), target.completeNanos(), change.reply, ""));
        return new Mutated(out, target.key(), "#" + target.id() + " " + target.kind() + " " + change.what);
    }

    /** The one of {@code ops} that completed last among those completed before {@code target} was invoked. */
    private static Operation latestBefore(List<Operation> ops, Operation target) {
        return ops.stream().filter(op -> before(op, target))
                .max(Comparator.comparingLong(Operation::completeNanos)).orElse(null);
    }

    private record Change(Operation target, Reply reply, String what) {}

    /** Operations of {@code kind} on one key that may have taken effect (only OK ones if {@code okOnly}). */
    private static List<Operation> writes(List<Operation> keyOps, Kind kind, boolean okOnly) {
        return keyOps.stream().filter(op -> op.kind() == kind
                && (op.outcome() == Outcome.OK || !okOnly && op.outcome() == Outcome.UNKNOWN)).toList();
    }

    /** {@code a} completed strictly before {@code b} was invoked. */
    private static boolean before(Operation a, Operation b) {
        return a.outcome() != Outcome.UNKNOWN && a.completeNanos() < b.invokeNanos();
    }

    /** {@code op} could take effect after {@code first} and before {@code last}. */
    private static boolean between(Operation op, Operation first, Operation last) {
        return !before(op, first) && !before(last, op);
    }

    private static Change read(Operation target, Value value, String what) {
        return new Change(target, Reply.read(value), what);
    }
}
