package io.ringkv.it;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.zip.CRC32;

/**
 * What each key of a crash test may hold, given the writes the client saw acknowledged and those
 * whose outcome it could not learn (the node died before replying).
 *
 * <p>Per key the model keeps the set of states a correct node may show: an acknowledged write
 * makes it exactly that write's state; a write of unknown outcome adds its state to the set, since
 * it may or may not have been applied. Operations on one key must be issued one at a time (the
 * caller gives each key to one client thread), so "the last acknowledged write" is well defined
 * without a linearizability check; an observation by a read after a restart then collapses the set
 * to what was seen, since nothing in flight survives the process that was killed.
 *
 * <p>Not thread-safe as a whole: each key is used by one thread at a time, and whoever hands a key
 * from one thread to another provides the happens-before (an executor's future, a join).
 */
final class DurabilityModel {
    /** What a key shows: its value and version, or nothing. */
    sealed interface State permits Present, Absent {}

    record Present(ByteString value, int version) implements State {
        @Override
        public String toString() {
            CRC32 crc = new CRC32();
            crc.update(value.asReadOnlyByteBuffer());
            return "value(" + value.size() + " B, crc32 " + Long.toHexString(crc.getValue()) + ", version " + version
                    + ")";
        }
    }

    record Absent() implements State {
        @Override
        public String toString() {
            return "absent";
        }
    }

    static final State ABSENT = new Absent();
    /** Recent operations kept per key for failure messages; older ones are dropped. */
    private static final int HISTORY_MAX = 12;

    private final List<List<State>> possible = new ArrayList<>();
    private final List<Deque<String>> history = new ArrayList<>();

    /** A model of {@code keys} keys, all absent, as in a fresh data directory. */
    DurabilityModel(int keys) {
        for (int k = 0; k < keys; k++) {
            possible.add(new ArrayList<>(List.of(ABSENT)));
            history.add(new ArrayDeque<>());
        }
    }

    int keys() {
        return possible.size();
    }

    /** The states key {@code k} may show now: one when its history is fully known, more otherwise. */
    List<State> possible(int k) {
        return List.copyOf(possible.get(k));
    }

    /** The key's one possible state, or null when an unknown outcome leaves several. */
    State definite(int k) {
        List<State> states = possible.get(k);
        return states.size() == 1 ? states.getFirst() : null;
    }

    /** The node acknowledged {@code state} (a PUT's value, or a REMOVE) as the key's new state. */
    void acknowledged(int k, State state, String op) {
        possible.get(k).clear();
        possible.get(k).add(state);
        note(k, op + " -> acknowledged");
    }

    /** A write whose outcome is unknown: the key may show {@code state} or any state it could before. */
    void unknown(int k, State state, String op) {
        if (!possible.get(k).contains(state)) {
            possible.get(k).add(state);
        }
        note(k, op + " -> outcome unknown");
    }

    /**
     * A read showed {@code state}; returns whether it was one the model allowed. Either way the
     * key's set becomes exactly that state, so one fault is reported once.
     */
    boolean observed(int k, State state, String read) {
        boolean allowed = possible.get(k).contains(state);
        possible.get(k).clear();
        possible.get(k).add(state);
        note(k, read + " showed " + state + (allowed ? "" : " (NOT ALLOWED)"));
        return allowed;
    }

    /** The key's recent operations, oldest first, one per line. */
    String history(int k) {
        return String.join("\n", history.get(k));
    }

    private void note(int k, String event) {
        Deque<String> events = history.get(k);
        if (events.size() == HISTORY_MAX) {
            events.removeFirst();
        }
        events.addLast(event);
    }
}
