package io.ringkv.ecs;

import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handle an operation's steps use to report progress: each call replaces the operation's
 * snapshot in the coordinator's state (in memory; the coordinator persists at the points that
 * matter for recovery). Used by the one operation thread, except {@link #cancel}, which any thread
 * may call: the operation stops at its next wait ({@link #checkCancelled}) and rolls back what it
 * has not committed.
 */
final class OperationRun {
    private static final Logger log = LoggerFactory.getLogger(OperationRun.class);

    private final String id;
    private final Function<UnaryOperator<OperationView>, OperationView> update;
    /** Why the operation must stop, or null. */
    private volatile String cancelled;

    OperationRun(String id, Function<UnaryOperator<OperationView>, OperationView> update) {
        this.id = id;
        this.update = update;
    }

    String id() {
        return id;
    }

    OperationView view() {
        return update.apply(UnaryOperator.identity());
    }

    void step(String step) {
        log.info("{}: {}", id, step);
        update.apply(v -> v.withStep(step));
    }

    void error(String error) {
        log.warn("{}: {}", id, error);
        update.apply(v -> v.withError(error));
    }

    void moved(long keys, long bytes, int percent) {
        update.apply(v -> v.withMoved(keys, bytes, percent));
    }

    void toEpoch(long epoch) {
        update.apply(v -> v.withToEpoch(epoch));
    }

    void nodeIds(List<String> ids) {
        update.apply(v -> v.withNodeIds(ids));
    }

    /** Asks the operation to stop at its next wait; the first reason given is kept. */
    void cancel(String why) {
        if (cancelled == null) {
            cancelled = why;
            log.warn("{}: cancelled: {}", id, why);
        }
    }

    /** Throws {@link OperationFailure} once the operation was cancelled. */
    void checkCancelled() {
        String why = cancelled;
        if (why != null) {
            throw new OperationFailure("cancelled: " + why);
        }
    }
}
