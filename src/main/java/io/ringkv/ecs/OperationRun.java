package io.ringkv.ecs;

import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handle an operation's steps use to report progress: each call replaces the operation's
 * snapshot in the coordinator's state (in memory; the coordinator persists at the points that
 * matter for recovery). Used by the one operation thread.
 */
final class OperationRun {
    private static final Logger log = LoggerFactory.getLogger(OperationRun.class);

    private final String id;
    private final Function<UnaryOperator<OperationView>, OperationView> update;

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
}
