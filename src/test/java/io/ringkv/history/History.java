package io.ringkv.history;

import com.google.protobuf.ByteString;
import io.ringkv.history.Operation.Kind;
import io.ringkv.history.Operation.Outcome;
import io.ringkv.history.Operation.Reply;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Records what clients asked and learned, for {@link LinearizabilityChecker}. A client calls
 * {@link #invoke} just before it sends a request and completes the returned {@link Pending} just
 * after it has the answer (or has given up), so that each operation's real effect falls inside the
 * recorded interval; recording late or completing early would make a correct node look wrong.
 *
 * <p>Thread-safe and cheap: an invoke is one counter increment, one clock reading and one
 * lock-free queue append; a completion is one clock reading and one record. Order in the queue
 * does not matter, since the checker orders by time. {@link #operations()} may be called at any
 * moment; operations still pending then appear as UNKNOWN outcomes, which is what they are to
 * whoever checks the history (a client thread that died, or one still waiting).
 *
 * <p>Bounded: at most {@link #operationsMax} invokes, so a runaway test fails fast instead of
 * filling the test JVM's heap.
 */
public final class History {
    public static final int OPERATIONS_MAX_DEFAULT = 1_000_000;

    private final LongSupplier nanoClock;
    private final int operationsMax;
    private final AtomicInteger nextId = new AtomicInteger();
    private final ConcurrentLinkedQueue<Pending> recorded = new ConcurrentLinkedQueue<>();

    /** A history on {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime, OPERATIONS_MAX_DEFAULT);
    }

    /** A history on the given clock (a virtual one in tests); it must never go backwards. */
    public History(LongSupplier nanoClock, int operationsMax) {
        this.nanoClock = nanoClock;
        this.operationsMax = operationsMax;
    }

    public Pending invokePut(int process, ByteString key, Value value) {
        return invoke(process, key, Kind.PUT, value);
    }

    public Pending invokeGet(int process, ByteString key) {
        return invoke(process, key, Kind.GET, null);
    }

    public Pending invokeRemove(int process, ByteString key) {
        return invoke(process, key, Kind.REMOVE, null);
    }

    private Pending invoke(int process, ByteString key, Kind kind, Value written) {
        int id = nextId.getAndIncrement();
        if (id >= operationsMax) {
            throw new IllegalStateException("history is full: " + operationsMax + " operations");
        }
        Pending pending = new Pending(id, process, key, kind, written, nanoClock.getAsLong());
        recorded.add(pending);
        return pending;
    }

    /** How many operations were invoked so far. */
    public int size() {
        return Math.min(nextId.get(), operationsMax);
    }

    /** Every operation invoked so far, ordered by id; pending ones as UNKNOWN, never completed. */
    public List<Operation> operations() {
        List<Operation> out = new ArrayList<>(recorded.size());
        for (Pending p : recorded) {
            out.add(p.snapshot());
        }
        out.sort(Comparator.comparingInt(Operation::id));
        return out;
    }

    /**
     * An invoked operation waiting for its outcome. Complete it exactly once, from any thread; a
     * second completion is a bug in the client wrapper and throws.
     */
    public final class Pending {
        private final int id;
        private final int process;
        private final ByteString key;
        private final Kind kind;
        private final Value written;
        private final long invokeNanos;
        /** Null until completed; then the finished record, published through the monitor. */
        private Operation done;

        private Pending(int id, int process, ByteString key, Kind kind, Value written, long invokeNanos) {
            this.id = id;
            this.process = process;
            this.key = key;
            this.kind = kind;
            this.written = written;
            this.invokeNanos = invokeNanos;
        }

        /** The node answered and the operation took effect: SUCCESS, a GET's value, or NO_SUCH_KEY. */
        public Operation ok(Reply reply) {
            return complete(Outcome.OK, reply, "");
        }

        /** The operation certainly did not take effect; {@code why} goes into reports. */
        public Operation fail(String why) {
            return complete(Outcome.FAIL, null, why);
        }

        /** Nobody knows whether the operation took effect; {@code why} goes into reports. */
        public Operation unknown(String why) {
            return complete(Outcome.UNKNOWN, null, why);
        }

        private Operation complete(Outcome outcome, Reply reply, String why) {
            Operation op = new Operation(id, process, key, kind, written, invokeNanos, outcome,
                    nanoClock.getAsLong(), reply, why);
            synchronized (this) {
                if (done != null) {
                    throw new IllegalStateException("operation completed twice: " + done + ", then " + op);
                }
                done = op;
            }
            return op;
        }

        private synchronized Operation snapshot() {
            return done != null
                    ? done
                    : new Operation(id, process, key, kind, written, invokeNanos, Outcome.UNKNOWN, Operation.NEVER,
                            null, "still pending when the history was read");
        }
    }
}
