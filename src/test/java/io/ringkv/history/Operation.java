package io.ringkv.history;

import com.google.protobuf.ByteString;

/**
 * One client request as the client saw it: what it asked, when it asked ({@link #invokeNanos}),
 * and how and when it learned the result ({@link #outcome}, {@link #completeNanos}). Times are
 * {@link System#nanoTime()} readings of one JVM (or virtual times in tests), so only their order
 * and differences mean anything.
 *
 * <p>The three outcomes are what the checker needs to know about effect, not about codes:
 * <ul>
 *   <li>{@link Outcome#OK}: the node answered and the operation took effect between invoke and
 *       complete; {@link #reply} says what it answered (NO_SUCH_KEY is an OK outcome: a read of
 *       "absent").
 *   <li>{@link Outcome#FAIL}: the operation certainly did not take effect (the node refused it
 *       before touching data, or it was never sent). The checker drops it.
 *   <li>{@link Outcome#UNKNOWN}: no usable answer; the operation may have taken effect at any
 *       moment after its invoke, even after the client gave up, or never. {@link #completeNanos}
 *       is when the client gave up ({@link #NEVER} if it never did), for reports only: the checker
 *       treats the completion as infinitely late.
 * </ul>
 *
 * @param id unique within its history, for reports
 * @param process the client (thread) that issued it, for reports; the checker orders operations by
 *     time alone, so a process may go on after an UNKNOWN outcome
 * @param written the PUT's value and version; null for GET and REMOVE
 * @param reply what the node answered when the outcome is OK; null otherwise
 * @param note why a FAIL or UNKNOWN outcome was recorded (e.g. the error code), for reports; may be empty
 */
public record Operation(int id, int process, ByteString key, Kind kind, Value written, long invokeNanos,
        Outcome outcome, long completeNanos, Reply reply, String note) {
    /** The completion time of an operation whose client never learned its outcome. */
    public static final long NEVER = Long.MAX_VALUE;

    public enum Kind { PUT, GET, REMOVE }

    public enum Outcome { OK, FAIL, UNKNOWN }

    /**
     * A node's answer to an operation that took effect: SUCCESS (with the value and version, for a
     * GET) or NO_SUCH_KEY (for a GET or REMOVE of an absent key).
     *
     * @param read the value a GET returned; null for every other reply
     */
    public record Reply(boolean found, Value read) {
        public static final Reply SUCCESS = new Reply(true, null);
        public static final Reply NO_SUCH_KEY = new Reply(false, null);

        public static Reply read(Value value) {
            return new Reply(true, value);
        }

        public Reply {
            if (!found && read != null) {
                throw new IllegalArgumentException("a NO_SUCH_KEY reply carries no value");
            }
        }

        @Override
        public String toString() {
            return !found ? "NO_SUCH_KEY" : read == null ? "SUCCESS" : read.toString();
        }
    }

    public Operation {
        if (key == null || kind == null || outcome == null || note == null) {
            throw new IllegalArgumentException("key, kind, outcome and note are required");
        }
        if ((kind == Kind.PUT) != (written != null)) {
            throw new IllegalArgumentException("a PUT, and only a PUT, carries a value: " + kind + " " + written);
        }
        if ((outcome == Outcome.OK) != (reply != null)) {
            throw new IllegalArgumentException("an OK outcome, and only that, has a reply: " + outcome + " " + reply);
        }
        if (reply != null) {
            boolean fits = switch (kind) {
                case PUT -> reply.equals(Reply.SUCCESS);
                case GET -> !reply.found() || reply.read() != null;
                case REMOVE -> reply.read() == null;
            };
            if (!fits) {
                throw new IllegalArgumentException(kind + " cannot answer " + reply);
            }
        }
        if (completeNanos != NEVER && completeNanos < invokeNanos) {
            throw new IllegalArgumentException("completed at " + completeNanos + " before invoked at " + invokeNanos);
        }
        if (outcome != Outcome.UNKNOWN && completeNanos == NEVER) {
            throw new IllegalArgumentException(outcome + " outcome without a completion time");
        }
    }

    /** When the operation stopped being able to take effect, as the checker sees it. */
    long effectiveCompleteNanos() {
        return outcome == Outcome.UNKNOWN ? NEVER : completeNanos;
    }

    /** The request alone, e.g. {@code PUT "a"@v1}, {@code GET}. */
    String describeCall() {
        return kind == Kind.PUT ? "PUT " + written : kind.name();
    }

    /** The result alone, e.g. {@code OK -> "a"@v1}, {@code UNKNOWN (timed out)}. */
    String describeOutcome() {
        return switch (outcome) {
            case OK -> kind == Kind.PUT ? "OK" : "OK -> " + reply;
            case FAIL, UNKNOWN -> note.isEmpty() ? outcome.name() : outcome + " (" + note + ")";
        };
    }

    @Override
    public String toString() {
        return "#" + id + " p" + process + " " + Value.show(key) + " " + describeCall() + " [" + invokeNanos + ", "
                + (completeNanos == NEVER ? "never" : completeNanos) + "] " + describeOutcome();
    }
}
