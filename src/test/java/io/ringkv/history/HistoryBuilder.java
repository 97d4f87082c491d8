package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written histories for the checker's tests, one operation per line: times in microseconds,
 * keys and values as strings, ids in the order written. The last added operation's id is
 * {@link #lastId()}, for assertions about which operation a report blames.
 */
final class HistoryBuilder {
    private final List<Operation> ops = new ArrayList<>();

    static ByteString key(String key) {
        return ByteString.copyFromUtf8(key);
    }

    HistoryBuilder put(int process, String key, String value, int version, long fromUs, long toUs) {
        return add(process, key, Kind.PUT, Value.of(value, version), fromUs, Outcome.OK, toUs, Reply.SUCCESS);
    }

    /** A PUT whose client never learned the outcome; the client gave up at {@code gaveUpUs}. */
    HistoryBuilder putUnknown(int process, String key, String value, int version, long fromUs, long gaveUpUs) {
        return add(process, key, Kind.PUT, Value.of(value, version), fromUs, Outcome.UNKNOWN, gaveUpUs, null);
    }

    HistoryBuilder putFailed(int process, String key, String value, int version, long fromUs, long toUs) {
        return add(process, key, Kind.PUT, Value.of(value, version), fromUs, Outcome.FAIL, toUs, null);
    }

    HistoryBuilder get(int process, String key, long fromUs, long toUs, String value, int version) {
        return add(process, key, Kind.GET, null, fromUs, Outcome.OK, toUs, Reply.read(Value.of(value, version)));
    }

    HistoryBuilder getAbsent(int process, String key, long fromUs, long toUs) {
        return add(process, key, Kind.GET, null, fromUs, Outcome.OK, toUs, Reply.NO_SUCH_KEY);
    }

    /** A REMOVE answered SUCCESS: the key held a value, and now does not. */
    HistoryBuilder remove(int process, String key, long fromUs, long toUs) {
        return add(process, key, Kind.REMOVE, null, fromUs, Outcome.OK, toUs, Reply.SUCCESS);
    }

    /** A REMOVE answered NO_SUCH_KEY. */
    HistoryBuilder removeAbsent(int process, String key, long fromUs, long toUs) {
        return add(process, key, Kind.REMOVE, null, fromUs, Outcome.OK, toUs, Reply.NO_SUCH_KEY);
    }

    HistoryBuilder removeUnknown(int process, String key, long fromUs, long gaveUpUs) {
        return add(process, key, Kind.REMOVE, null, fromUs, Outcome.UNKNOWN, gaveUpUs, null);
    }

    private HistoryBuilder add(int process, String key, Kind kind, Value written, long fromUs, Outcome outcome,
            long toUs, Reply reply) {
        ops.add(new Operation(ops.size(), process, key(key), kind, written, fromUs * 1_000, outcome, toUs * 1_000,
                reply, outcome == Outcome.OK ? "" : "test"));
        return this;
    }

    int lastId() {
        return ops.size() - 1;
    }

    List<Operation> build() {
        return List.copyOf(ops);
    }
}
