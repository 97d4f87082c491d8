package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sequential specification of one key, as the CPEN 431 protocol defines it, compiled for the
 * search in {@link KeySearch}.
 *
 * <p>The key is a register whose state is "absent" or a {@link Value} (bytes and version). PUT
 * makes it that value and answers SUCCESS whatever it held. GET changes nothing and answers the
 * value, or NO_SUCH_KEY when absent. REMOVE answers SUCCESS when a value was present and leaves
 * the key absent, or NO_SUCH_KEY when it was already absent: so a REMOVE that answered SUCCESS is
 * both a read of "present" and a write of "absent", which is what lets the checker catch a remove
 * applied twice. A key starts absent unless the caller says otherwise.
 *
 * <p>Every operation is compiled to two numbers over interned states: the state it
 * {@link #requires} before it takes effect and the state it {@link #writes}. The search then never
 * compares byte strings, and its cache keys on an int. States are {@link #ABSENT}, {@link #UNREAD}
 * and one index per value some OK GET returned. Values no GET returned are one state, because no
 * operation in the history can tell them apart: merging them is exact, and it collapses the
 * configurations that differ only in which unread value a key holds. An UNKNOWN outcome
 * constrains no answer, so its requirement is {@link #ANY}; it may still take effect.
 *
 * <p>{@link ModelCompiler} builds models, of a whole key's history or of a {@link #window} of it,
 * and leaves out the operations that cannot change the verdict.
 */
final class RegisterModel {
    /** The state index of "absent". */
    static final int ABSENT = 0;
    /** The state index of "some value that no OK GET in the history returned". */
    static final int UNREAD = 1;
    /** {@link #requires}: the operation accepts any state. */
    static final int ANY = -1;
    /** {@link #requires}: the operation needs some value to be present (a REMOVE that answered SUCCESS). */
    static final int PRESENT = -2;
    /** {@link #writes}: the operation leaves the state as it was. */
    static final int KEEP = -1;
    /** {@link #step}: the operation cannot take effect in this state. */
    static final int INVALID = -1;
    /**
     * The initial state of a {@link #window}: whatever the operations before it left, unknown. It
     * becomes whatever the first operation that looks at it needs, which is exactly "some state".
     */
    static final int WILDCARD = Integer.MAX_VALUE;

    final ByteString key;
    /** The operations the search considers, ordered by invoke time. */
    final Operation[] ops;
    /** Per operation: the state it needs before it takes effect (an index, {@link #ANY} or {@link #PRESENT}). */
    final int[] requires;
    /** Per operation: the state it leaves (an index, or {@link #KEEP}). */
    final int[] writes;
    /** Per operation: whether an order may leave it out (an UNKNOWN outcome, or one at a window's edge). */
    final boolean[] optional;
    final int initial;
    /** How many of the key's operations were left out (see the class comment). */
    final int leftOut;
    /** Where a {@link #window} starts, {@link Long#MIN_VALUE} for a whole history. */
    final long fromNanos;
    /** What the key held before the history, null for absent; windows from the very start use it. */
    final Value initialValue;
    /** State index to value; indices 0 (absent) and 1 (unread) hold null. */
    private final List<Value> states;

    RegisterModel(ByteString key, Operation[] ops, int[] requires, int[] writes, boolean[] optional, int initial,
            int leftOut, long fromNanos, Value initialValue, List<Value> states) {
        this.initialValue = initialValue;
        this.key = key;
        this.ops = ops;
        this.requires = requires;
        this.writes = writes;
        this.optional = optional;
        this.initial = initial;
        this.leftOut = leftOut;
        this.fromNanos = fromNanos;
        this.states = states;
    }

    /**
     * The part of this history between {@code fromNanos} and {@code toNanos} whose failure proves
     * the whole history's (see {@link ModelCompiler#window}).
     */
    RegisterModel window(long fromNanos, long toNanos) {
        return ModelCompiler.window(this, fromNanos, toNanos);
    }

    /**
     * An OK GET that no order could satisfy, found in one pass so that such a read on a long, busy
     * key is reported at once rather than after an exhaustive search: it returned a value that no
     * PUT on the key wrote (and the key did not start with), or one whose every writer was invoked
     * after the read completed. The earliest-completing such read, or -1.
     */
    int impossibleRead() {
        if (initial == WILDCARD) {
            return -1;
        }
        long[] firstWriteInvoke = new long[states.size()];
        Arrays.fill(firstWriteInvoke, Long.MAX_VALUE);
        for (int i = 0; i < ops.length; i++) {
            if (ops[i].kind() == Kind.PUT && writes[i] > UNREAD) {
                firstWriteInvoke[writes[i]] = Math.min(firstWriteInvoke[writes[i]], ops[i].invokeNanos());
            }
        }
        int found = -1;
        for (int i = 0; i < ops.length; i++) {
            int needed = requires[i];
            boolean impossible = ops[i].kind() == Kind.GET && needed > UNREAD && needed != initial
                    && firstWriteInvoke[needed] > ops[i].completeNanos();
            if (impossible && (found < 0 || ops[i].completeNanos() < ops[found].completeNanos())) {
                found = i;
            }
        }
        return found;
    }

    /** The state after operation {@code op} takes effect in {@code state}, or {@link #INVALID}. */
    int step(int state, int op) {
        int needed = requires[op];
        if (state == WILDCARD && needed != ANY) {
            // The unknown starting state turns out to be what this operation needs.
            state = needed == PRESENT ? UNREAD : needed;
        }
        boolean allowed = needed == ANY || (needed == PRESENT ? state != ABSENT : needed == state);
        if (!allowed) {
            return INVALID;
        }
        return writes[op] == KEEP ? state : writes[op];
    }

    int size() {
        return ops.length;
    }

    String describeState(int state) {
        return switch (state) {
            case WILDCARD -> "as it was before the window (unknown)";
            case ABSENT -> "absent";
            case UNREAD -> "holding a value no GET returned";
            default -> "at " + states.get(state);
        };
    }
}
