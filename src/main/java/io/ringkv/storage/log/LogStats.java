package io.ringkv.storage.log;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/** The engine's counters, bumped by the threads that do the work; read by {@link LogEngine#stats}. */
final class LogStats {
    final LongAdder fsyncs = new LongAdder();
    final LongAdder fsyncNanos = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder batchedOps = new LongAdder();
    volatile int batchOpsMax;
    final LongAdder merges = new LongAdder();
    final LongAdder mergeBytesRead = new LongAdder();
    final LongAdder mergeBytesWritten = new LongAdder();
    final LongAdder mergeBytesReclaimed = new LongAdder();
    final LongAdder mergeNanos = new LongAdder();
    /** Records a merge passed over as known dead, without hashing the key or asking the keydir. */
    final LongAdder mergeDeadSkipped = new LongAdder();
    final LongAdder corruptRecords = new LongAdder();
    final LongAdder corruptBytes = new LongAdder();
    final LongAdder tornTailBytes = new LongAdder();
    final LongAdder badHints = new LongAdder();
    final LongAdder hintsWritten = new LongAdder();
    /** Rolled segments whose hint was left to the merge about to take them. */
    final LongAdder hintsDeferred = new LongAdder();
    final LongAdder maintenanceFailures = new LongAdder();

    private final LongConsumer fsyncNanosListener;
    private final IntConsumer batchSizeListener;

    LogStats(LongConsumer fsyncNanosListener, IntConsumer batchSizeListener) {
        this.fsyncNanosListener = fsyncNanosListener;
        this.batchSizeListener = batchSizeListener;
    }

    void fsync(long nanos) {
        fsyncs.increment();
        fsyncNanos.add(nanos);
        fsyncNanosListener.accept(nanos);
    }

    void batch(int ops) {
        batches.increment();
        batchedOps.add(ops);
        if (ops > batchOpsMax) {
            batchOpsMax = ops;
        }
        batchSizeListener.accept(ops);
    }
}
