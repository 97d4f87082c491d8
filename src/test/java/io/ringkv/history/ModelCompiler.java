package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link RegisterModel}s: of a key's whole history, or of a window of it, leaving out the
 * operations that cannot change the verdict, because each one the search keeps may double the
 * configurations it visits.
 *
 * <p>An operation is optional when an order may leave it out: an UNKNOWN outcome, or in a window
 * one that overlaps an edge. FAIL outcomes are left out (no effect). Optional reads (GETs, and
 * REMOVEs that found nothing) are left out: they change no state, so any order that places one
 * stays valid without it. An optional write nobody could observe is left out too: an optional PUT
 * when no OK GET that completed after the PUT was invoked read its value and no OK REMOVE that
 * completed after it answered SUCCESS; an optional REMOVE when no OK operation that completed
 * after it was invoked answered NO_SUCH_KEY. Why that is safe: take any order that places such a
 * write; until the next write, the operations after it could only be reads of what it wrote (there
 * are none, by the condition), and the next write requires nothing of the state (a REMOVE SUCCESS
 * right after a write of absent would be invalid, and after a PUT it is excluded by the
 * condition). So deleting the write leaves a valid order. Many lost writes on one hot key
 * therefore do not blow up the search unless they were actually read.
 */
final class ModelCompiler {
    private ModelCompiler() {}

    /**
     * One key's whole history.
     *
     * @param initial what the key holds before the history; null for absent
     */
    static RegisterModel compile(ByteString key, List<Operation> keyOps, Value initial) {
        List<Operation> effective = keyOps.stream().filter(op -> op.outcome() != Outcome.FAIL).toList();
        return build(key, effective, keyOps.size(), initial, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * The part of {@code whole} between {@code fromNanos} and {@code toNanos}, built so that if it
     * has no linearization, neither has the whole: operations that completed before the window
     * are left out and the key starts in {@link RegisterModel#WILDCARD}; operations that overlap an
     * edge of the window are optional, since they may have taken effect before it (then the
     * wildcard covers them) or after the point the window checks; operations invoked after it are
     * left out. Values are interned again, so that those read only outside the window merge into
     * {@link RegisterModel#UNREAD}.
     *
     * <p>Why that is sound: take a linearization of the whole history and the last operation in it
     * that completed by {@code toNanos}. Every operation up to it was invoked by then (real time),
     * so the prefix up to it, without the operations up to the last one that completed before
     * {@code fromNanos}, is an order of the window's operations from some state, containing every
     * one that is not optional. So a window without a linearization proves a violation, and the
     * smaller the window, the more readable the proof. A window from {@link Long#MIN_VALUE} starts
     * from the key's real initial state instead: nothing happened before it.
     */
    static RegisterModel window(RegisterModel whole, long fromNanos, long toNanos) {
        List<Operation> scope = Arrays.stream(whole.ops)
                .filter(op -> op.invokeNanos() <= toNanos && op.effectiveCompleteNanos() >= fromNanos).toList();
        return build(whole.key, scope, whole.ops.length + whole.leftOut, whole.initialValue, fromNanos, toNanos);
    }

    private static RegisterModel build(ByteString key, List<Operation> scope, int sourceSize, Value initial,
            long fromNanos, long toNanos) {
        Horizons horizons = new Horizons();
        scope.forEach(horizons::note);
        Map<Value, Integer> index = new HashMap<>();
        List<Value> states = new ArrayList<>();
        states.add(null);
        states.add(null);
        for (Value read : horizons.lastReadOf.keySet()) {
            index.put(read, states.size());
            states.add(read);
        }
        List<Operation> kept = new ArrayList<>();
        for (Operation op : scope) {
            if (!optional(op, fromNanos, toNanos) || observable(op, horizons)) {
                kept.add(op);
            }
        }
        kept.sort(Comparator.comparingLong(Operation::invokeNanos).thenComparingInt(Operation::id));
        if (fromNanos != Long.MIN_VALUE) {
            kept = capEarlyWrites(kept, fromNanos, toNanos, index);
        }
        int n = kept.size();
        int[] requires = new int[n];
        int[] writes = new int[n];
        boolean[] optional = new boolean[n];
        for (int i = 0; i < n; i++) {
            requires[i] = requires(kept.get(i), index);
            writes[i] = writes(kept.get(i), index);
            optional[i] = optional(kept.get(i), fromNanos, toNanos);
        }
        int start = fromNanos != Long.MIN_VALUE ? RegisterModel.WILDCARD
                : initial == null ? RegisterModel.ABSENT : index.getOrDefault(initial, RegisterModel.UNREAD);
        return new RegisterModel(key, kept.toArray(Operation[]::new), requires, writes, optional, start,
                sourceSize - n, fromNanos, initial, states);
    }

    /**
     * Keeps, of the optional writes invoked before a window starts, no more per effect than the
     * window has operations that could observe that effect. Why that is enough: all of them are
     * available from the window's start and interchangeable within an effect; in any order of the
     * window, a placement that nothing observes before the next write can be deleted (the argument
     * of the class comment), and two placements of one effect with no write between them make the
     * second a no-op, also deletable; so each placement left has an observer of its own. Without
     * the cap, the hundreds of lost writes of a long history, all in every window, would make
     * refuting a small window as costly as refuting the whole key.
     */
    private static List<Operation> capEarlyWrites(List<Operation> kept, long fromNanos, long toNanos,
            Map<Value, Integer> index) {
        Map<Integer, Integer> observersOf = new HashMap<>();
        for (Operation op : kept) {
            observersOf.merge(requires(op, index), 1, Integer::sum);
        }
        int present = observersOf.getOrDefault(RegisterModel.PRESENT, 0);
        Map<Long, Integer> placed = new HashMap<>();
        List<Operation> out = new ArrayList<>(kept.size());
        for (int i = kept.size() - 1; i >= 0; i--) {
            Operation op = kept.get(i);
            if (op.invokeNanos() < fromNanos && optional(op, fromNanos, toNanos)) {
                int written = writes(op, index);
                int observers = switch (written) {
                    case RegisterModel.ABSENT -> observersOf.getOrDefault(RegisterModel.ABSENT, 0);
                    case RegisterModel.UNREAD -> present;
                    default -> observersOf.getOrDefault(written, 0) + present;
                };
                long effect = (long) requires(op, index) << 32 | (written & 0xFFFFFFFFL);
                if (placed.merge(effect, 1, Integer::sum) > observers) {
                    continue;
                }
            }
            out.add(op);
        }
        return out.reversed();
    }

    /** The state {@code op} needs before it takes effect (see {@link RegisterModel#requires}). */
    private static int requires(Operation op, Map<Value, Integer> index) {
        boolean ok = op.outcome() == Outcome.OK;
        return switch (op.kind()) {
            case PUT -> RegisterModel.ANY;
            case GET -> op.reply().found() ? index.get(op.reply().read()) : RegisterModel.ABSENT;
            case REMOVE -> !ok ? RegisterModel.ANY : op.reply().found() ? RegisterModel.PRESENT : RegisterModel.ABSENT;
        };
    }

    /** The state {@code op} leaves (see {@link RegisterModel#writes}). */
    private static int writes(Operation op, Map<Value, Integer> index) {
        boolean ok = op.outcome() == Outcome.OK;
        return switch (op.kind()) {
            case PUT -> index.getOrDefault(op.written(), RegisterModel.UNREAD);
            case GET -> RegisterModel.KEEP;
            case REMOVE -> !ok || op.reply().found() ? RegisterModel.ABSENT : RegisterModel.KEEP;
        };
    }

    private static boolean optional(Operation op, long fromNanos, long toNanos) {
        return op.outcome() != Outcome.OK || op.invokeNanos() < fromNanos || op.completeNanos() > toNanos;
    }

    /** Whether an optional operation could matter (see the class comment). */
    private static boolean observable(Operation op, Horizons horizons) {
        boolean ok = op.outcome() == Outcome.OK;
        return switch (op.kind()) {
            case GET -> false;
            case PUT -> horizons.lastReadOf.getOrDefault(op.written(), Long.MIN_VALUE) >= op.invokeNanos()
                    || horizons.lastRemovedPresent >= op.invokeNanos();
            case REMOVE -> (!ok || op.reply().found()) && horizons.lastSawAbsent >= op.invokeNanos();
        };
    }

    /**
     * The latest completion of each kind of OK observation. Compared with {@code >=} against an
     * invoke time, because operations at equal times count as concurrent (see {@link EventList}).
     */
    private static final class Horizons {
        final Map<Value, Long> lastReadOf = new LinkedHashMap<>();
        long lastRemovedPresent = Long.MIN_VALUE;
        long lastSawAbsent = Long.MIN_VALUE;

        void note(Operation op) {
            if (op.outcome() != Outcome.OK || op.kind() == Kind.PUT) {
                return;
            }
            long at = op.completeNanos();
            if (!op.reply().found()) {
                lastSawAbsent = Math.max(lastSawAbsent, at);
            } else if (op.kind() == Kind.REMOVE) {
                lastRemovedPresent = Math.max(lastRemovedPresent, at);
            } else {
                lastReadOf.merge(op.reply().read(), at, Math::max);
            }
        }
    }
}
