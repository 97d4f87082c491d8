package io.ringkv.history;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Decides whether one key's operations are linearizable: Wing and Gong's depth-first search for a
 * sequential order consistent with real time, with Lowe's memo of visited configurations
 * ({@link ConfigurationCache}), as Lowe describes it in "Testing for linearizability" (2017).
 *
 * <p>The search walks the {@link EventList} from the front: at a call it tries to let that
 * operation take effect now (the model must accept it in the current state, and the resulting
 * configuration must be new); if so it lifts the operation's events out of the list, pushes it,
 * and starts again from the front. Reaching a return means an operation that has completed has
 * not yet taken effect in this order, so the last choice was wrong: pop it, put its events back
 * and try the next call after it. The walk resumes there, not at the front, because the calls
 * before it were tried from the same configuration; and every return still listed lies after it,
 * because the walk had passed only calls to reach it. Linearizable once every operation of known
 * completion has taken effect; a violation when a return is reached with nothing left to pop.
 *
 * <p>A read (an OK GET, or a REMOVE that found nothing) that the current state satisfies is placed
 * without branching, as soon as one is available: moving it to the front of any valid
 * continuation keeps that valid, since a read changes no state and an available operation may
 * precede, in real time, every one not yet placed. So if the configuration after it fails, the one
 * before fails too, and the search backs up past both. Reads are the bulk of a workload, and this
 * keeps them from multiplying the configurations of the writes around them. (Not so for a write
 * of the value already there: later in the continuation it may be what restores that value. Nor
 * while a window's starting state is unknown: there the first read decides it.)
 *
 * <p>Optional operations (UNKNOWN outcomes, and in a window those across its edges) have a call
 * and no return: the search may let them take effect anywhere after their invoke, and never has
 * to, which is exactly what "may or may not have taken effect" means. Such optional
 * operations pile up at the front of the list, since nothing forces them out. The memo counts them
 * per effect instead of naming them ({@link MemoKey}), and two dominance rules spare the search
 * from trying them needlessly, both sound because a configuration with more optional operations
 * still available can do everything one with fewer can: an optional operation that would leave
 * the state as it is is never placed (placing it only uses it up), and of two available optional
 * operations with the same effect only the later-invoked one is placed, since the earlier one stays
 * available wherever the later one would.
 *
 * <p>Bounded by a deadline on an injected clock (read every {@link #CLOCK_CHECK_STEPS} steps, so
 * the clock costs nothing) and by the memo's byte limit; either ends the search with
 * {@link GaveUp}. Not thread-safe; one instance per key and run.
 */
final class KeySearch {
    /** A power of two: the clock is read once per this many steps. */
    static final int CLOCK_CHECK_STEPS = 1024;
    /** Operations of the longest linearizable prefix kept for the report, latest last. */
    static final int CONTEXT_OPS = 3;

    sealed interface Result permits Linearizable, Stuck, GaveUp {}

    record Linearizable(int configurations) implements Result {}

    /** Not linearizable; {@code frontier} is where the search got furthest (see {@link #noteFrontier}). */
    record Stuck(Frontier frontier) implements Result {}

    /** Out of time or memo; {@code frontier} is where the search had got furthest, null if nowhere yet. */
    record GaveUp(String why, Frontier frontier) implements Result {}

    /**
     * The furthest point the search reached: {@code linearized} of the {@code required} operations
     * of known completion had taken effect (all operations placed are in {@code placed}), leaving
     * {@code state}, when operation {@code stuck} completed without any remaining order letting it
     * take effect. {@code context} holds the last operations of that order, oldest first.
     */
    record Frontier(int linearized, int required, int stuck, int state, long[] placed, int[] context) {
        boolean isLinearized(int op) {
            return (placed[op >>> 6] & (1L << op)) != 0;
        }
    }

    private final RegisterModel model;
    private final int n;
    private final boolean[] completes;
    private final EventList events;
    private final MemoKey key;
    private final ConfigurationCache cache;
    private final LongSupplier nanoClock;
    private final long deadlineNanos;

    // The current configuration: the stack of placed operations and what they left.
    private final int[] stackOp;
    private final int[] stackState;
    private final boolean[] stackForced;
    private final long[] placed;
    private int depth;
    private int state;
    private int remaining;
    private Frontier best;

    KeySearch(RegisterModel model, LongSupplier nanoClock, long deadlineNanos, long cacheBytesMax) {
        this.model = model;
        this.n = model.size();
        this.completes = new boolean[n];
        for (int i = 0; i < n; i++) {
            completes[i] = !model.optional[i];
            remaining += completes[i] ? 1 : 0;
        }
        this.events = new EventList(model, completes);
        this.key = new MemoKey(model, completes);
        this.cache = new ConfigurationCache(key.wordsMax(), cacheBytesMax);
        this.nanoClock = nanoClock;
        this.deadlineNanos = deadlineNanos;
        this.stackOp = new int[n];
        this.stackState = new int[n];
        this.stackForced = new boolean[n];
        this.placed = new long[(n + 63) >>> 6];
        this.state = model.initial;
    }

    Result run() {
        int required = remaining;
        long steps = 0;
        int node = firstMove();
        while (remaining > 0) {
            if ((steps++ & (CLOCK_CHECK_STEPS - 1)) == 0 && nanoClock.getAsLong() - deadlineNanos >= 0) {
                return new GaveUp("time budget exhausted after " + steps + " steps, " + cache.size()
                        + " configurations", best);
            }
            if (node == EventList.NIL) {
                throw new IllegalStateException("walked off the event list with " + remaining + " operations left");
            }
            if (!events.isCall(node)) {
                noteFrontier(required, node - n);
                node = backtrack();
                if (node == EventList.NIL) {
                    return new Stuck(best);
                }
                continue;
            }
            int after = model.step(state, node);
            if (after == RegisterModel.INVALID || !completes[node] && dominated(node, after)) {
                node = events.next(node);
                continue;
            }
            boolean forced = isForcedRead(node);
            key.place(node);
            switch (cache.add(key, after)) {
                case NEW -> {
                    push(node, after, forced);
                    node = firstMove();
                }
                case SEEN -> {
                    key.unplace(node);
                    // A forced move's configuration is equivalent to the one before it: both fail.
                    node = forced ? backtrack() : events.next(node);
                    if (node == EventList.NIL) {
                        return new Stuck(best);
                    }
                }
                case FULL -> {
                    return new GaveUp("configuration cache full: " + cache.size() + " configurations, ~"
                            + cache.bytes() / 1024 + " KiB", best);
                }
            }
        }
        return new Linearizable(cache.size());
    }

    /** Where the walk of a new configuration starts: an available read the state satisfies, if any, else the front. */
    private int firstMove() {
        for (int node = events.first(); node != EventList.NIL && events.isCall(node); node = events.next(node)) {
            if (isForcedRead(node) && model.step(state, node) != RegisterModel.INVALID) {
                return node;
            }
        }
        return events.first();
    }

    /**
     * A read (an OK GET, or a REMOVE that found nothing) of known completion, placed without
     * branching: never while a window's starting state is still unknown, since there the first
     * read decides it.
     */
    private boolean isForcedRead(int op) {
        return completes[op] && model.writes[op] == RegisterModel.KEEP && state != RegisterModel.WILDCARD;
    }

    /** Whether placing optional operation {@code op} now is pointless (see the class comment). */
    private boolean dominated(int op, int after) {
        if (after == state) {
            return true;
        }
        for (int node = events.next(op); node != EventList.NIL && events.isCall(node); node = events.next(node)) {
            if (!completes[node] && model.writes[node] == model.writes[op]
                    && model.requires[node] == model.requires[op]) {
                return true;
            }
        }
        return false;
    }

    private void push(int op, int after, boolean forced) {
        placed[op >>> 6] |= 1L << op;
        stackOp[depth] = op;
        stackState[depth] = state;
        stackForced[depth] = forced;
        depth++;
        state = after;
        events.lift(op);
        remaining -= completes[op] ? 1 : 0;
    }

    /**
     * Takes back the latest choice that was not forced (and the forced ones placed after it) and
     * returns the call to try next, or {@link EventList#NIL} when no choice is left.
     */
    private int backtrack() {
        while (depth > 0) {
            depth--;
            int op = stackOp[depth];
            state = stackState[depth];
            placed[op >>> 6] &= ~(1L << op);
            key.unplace(op);
            events.unlift(op);
            remaining += completes[op] ? 1 : 0;
            if (!stackForced[depth]) {
                return events.next(op);
            }
        }
        return EventList.NIL;
    }

    /**
     * Keeps the frontier whose stuck operation completed last (then the one with most placed):
     * no order gets past a violating operation, so every later frontier stops at it, while
     * frontiers at earlier operations are wrong turns the search backs out of.
     */
    private void noteFrontier(int required, int stuck) {
        int linearized = required - remaining;
        long completed = model.ops[stuck].completeNanos();
        long bestCompleted = best == null ? Long.MIN_VALUE : model.ops[best.stuck()].completeNanos();
        if (completed > bestCompleted || completed == bestCompleted && linearized > best.linearized()) {
            int[] context = Arrays.copyOfRange(stackOp, Math.max(0, depth - CONTEXT_OPS), depth);
            best = new Frontier(linearized, required, stuck, state, placed.clone(), context);
        }
    }
}
