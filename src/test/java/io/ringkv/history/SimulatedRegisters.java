package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Histories that are linearizable by construction: clients run operations on correct registers in
 * virtual time, each taking effect at one instant of its interval, and record what they saw.
 *
 * <p>Each process issues operations one after another with random durations and pauses; every
 * operation draws its linearization point inside its interval, and the registers apply operations
 * in the order of those points, so the recorded answers are those of that sequential order. Faults
 * are recorded as a real client would: a FAIL outcome never takes effect; an UNKNOWN outcome takes
 * effect or not (a coin), and when it does, possibly long after the client gave up, as a request
 * stuck in a queue can. Every PUT writes a value no other PUT writes ({@code p<process>-<n>}), so
 * the mutations in {@link HistoryMutations} can reason about who wrote what.
 *
 * @param durationUsMax an operation takes 1 to this many µs
 * @param pauseUsMax a process waits 0 to this many µs between operations
 */
record SimulatedRegisters(int processes, int keys, int operations, int getPercent, int removePercent,
        int unknownPercent, int failPercent, int durationUsMax, int pauseUsMax) {

    /** Small and busy: few keys, so operations on one key overlap a lot. */
    static SimulatedRegisters small() {
        return new SimulatedRegisters(4, 2, 40, 40, 15, 10, 5, 100, 20);
    }

    List<Operation> generate(Random random) {
        List<Draft> drafts = new ArrayList<>(operations);
        long[] clockNanos = new long[processes];
        for (int i = 0; i < operations; i++) {
            int process = i % processes;
            int roll = random.nextInt(100);
            Kind kind = roll < getPercent ? Kind.GET : roll < getPercent + removePercent ? Kind.REMOVE : Kind.PUT;
            long invoke = clockNanos[process] + random.nextInt(pauseUsMax * 1_000 + 1);
            long duration = 1_000 + random.nextInt(durationUsMax * 1_000);
            long complete = invoke + duration;
            clockNanos[process] = complete;
            int outcomeRoll = random.nextInt(100);
            Outcome outcome = outcomeRoll < unknownPercent ? Outcome.UNKNOWN
                    : outcomeRoll < unknownPercent + failPercent ? Outcome.FAIL : Outcome.OK;
            boolean applied = outcome == Outcome.OK || outcome == Outcome.UNKNOWN && random.nextBoolean();
            // An UNKNOWN operation may take effect after its client gave up, up to a few durations later.
            long pointSpan = outcome == Outcome.UNKNOWN ? 4 * duration : duration;
            long point = invoke + (long) (random.nextDouble() * pointSpan);
            Value written = kind == Kind.PUT ? Value.of("p" + process + "-" + i, random.nextInt(3)) : null;
            drafts.add(new Draft(i, process, ByteString.copyFromUtf8("k" + random.nextInt(keys)), kind, written,
                    invoke, complete, point, outcome, applied));
        }
        Map<ByteString, Value> registers = new HashMap<>();
        List<Draft> byPoint = new ArrayList<>(drafts);
        byPoint.sort(Comparator.comparingLong(Draft::point).thenComparingInt(Draft::id));
        for (Draft d : byPoint) {
            if (d.applied) {
                d.reply = apply(registers, d);
            }
        }
        List<Operation> ops = new ArrayList<>(drafts.size());
        for (Draft d : drafts) {
            ops.add(new Operation(d.id, d.process, d.key, d.kind, d.written, d.invoke, d.outcome, d.complete,
                    d.outcome == Outcome.OK ? d.reply : null, d.outcome == Outcome.OK ? "" : "simulated"));
        }
        return ops;
    }

    /** The register's sequential specification, written out plainly, independent of {@link RegisterModel}. */
    private static Reply apply(Map<ByteString, Value> registers, Draft d) {
        Value held = registers.get(d.key);
        return switch (d.kind) {
            case PUT -> {
                registers.put(d.key, d.written);
                yield Reply.SUCCESS;
            }
            case GET -> held == null ? Reply.NO_SUCH_KEY : Reply.read(held);
            case REMOVE -> {
                registers.remove(d.key);
                yield held == null ? Reply.NO_SUCH_KEY : Reply.SUCCESS;
            }
        };
    }

    private static final class Draft {
        final int id;
        final int process;
        final ByteString key;
        final Kind kind;
        final Value written;
        final long invoke;
        final long complete;
        final long point;
        final Outcome outcome;
        final boolean applied;
        Reply reply;

        Draft(int id, int process, ByteString key, Kind kind, Value written, long invoke, long complete, long point,
                Outcome outcome, boolean applied) {
            this.id = id;
            this.process = process;
            this.key = key;
            this.kind = kind;
            this.written = written;
            this.invoke = invoke;
            this.complete = complete;
            this.point = point;
            this.outcome = outcome;
            this.applied = applied;
        }

        long point() {
            return point;
        }

        int id() {
            return id;
        }
    }
}
