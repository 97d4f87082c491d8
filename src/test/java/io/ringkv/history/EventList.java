package io.ringkv.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One key's call and return events in time order, as a doubly linked list over int arrays, from
 * which the search lifts an operation's two events when it places the operation and into which it
 * puts them back when it takes the operation back (Lowe's "lift" and "unlift").
 *
 * <p>Node {@code i < n} is operation i's call, node {@code n + i} its return (only for operations
 * that must take effect by then: an optional one, such as an UNKNOWN outcome, has none), node
 * {@code 2n} the head. Lifts and unlifts
 * nest (LIFO), so a lifted node's own links still name its old neighbours and putting it back is
 * two stores, as in Knuth's dancing links.
 *
 * <p>Events at equal times are ordered calls first, so operations that touch at a nanosecond count
 * as concurrent: readings from different threads at the same value cannot be ordered, and the
 * permissive choice never reports a violation the node did not commit.
 */
final class EventList {
    static final int NIL = -1;

    final int n;
    final int head;
    private final int[] next;
    private final int[] prev;
    private final boolean[] completes;

    EventList(RegisterModel model, boolean[] completes) {
        this.n = completes.length;
        this.head = 2 * n;
        this.next = new int[2 * n + 1];
        this.prev = new int[2 * n + 1];
        this.completes = completes;
        List<Integer> events = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            events.add(i);
            if (completes[i]) {
                events.add(n + i);
            }
        }
        Comparator<Integer> byTime = Comparator.comparingLong(
                node -> node < n ? model.ops[node].invokeNanos() : model.ops[node - n].completeNanos());
        events.sort(byTime.thenComparingInt(node -> node < n ? 0 : 1).thenComparingInt(node -> node % n));
        int last = head;
        for (int node : events) {
            next[last] = node;
            prev[node] = last;
            last = node;
        }
        next[last] = NIL;
    }

    int first() {
        return next[head];
    }

    int next(int node) {
        return next[node];
    }

    boolean isCall(int node) {
        return node < n;
    }

    /** Takes operation {@code op}'s call and return out of the list. */
    void lift(int op) {
        remove(op);
        if (completes[op]) {
            remove(n + op);
        }
    }

    /** Exactly undoes the matching {@link #lift}, which must be the latest not yet undone. */
    void unlift(int op) {
        if (completes[op]) {
            restore(n + op);
        }
        restore(op);
    }

    private void remove(int node) {
        next[prev[node]] = next[node];
        if (next[node] != NIL) {
            prev[next[node]] = prev[node];
        }
    }

    private void restore(int node) {
        next[prev[node]] = node;
        if (next[node] != NIL) {
            prev[next[node]] = node;
        }
    }
}
