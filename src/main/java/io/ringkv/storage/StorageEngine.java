package io.ringkv.storage;

import java.util.concurrent.CompletionStage;

/**
 * A node's local key-value store.
 *
 * <p>Thread-safety: every method may be called concurrently from any thread (the node calls it
 * from several Netty event loops).
 *
 * <p>Blocking: {@link #get} may read from disk but must stay short (no locks held across I/O that
 * writers wait on). Writes return a stage that completes once the write is as durable as the
 * engine's policy promises; the calling thread must never wait for durability inline, so an
 * engine with group commit completes the stage from its own writer thread. Stages never complete
 * exceptionally with anything but {@link StorageException}.
 *
 * <p>Ordering: writes to one key are applied in the order their calls returned; a {@code get}
 * that starts after a write's stage completed sees that write or a later one.
 */
public interface StorageEngine extends AutoCloseable {

    /** The value and version stored under key, or null when there is none. */
    Versioned get(byte[] key) throws StorageException;

    /** Stores value under key with its version, replacing what was there. */
    CompletionStage<Void> put(byte[] key, byte[] value, int version);

    /** Removes key; completes with true if it existed. */
    CompletionStage<Boolean> remove(byte[] key);

    /** Removes every key. */
    CompletionStage<Void> wipe();

    /** Live keys. */
    long keys();

    /** Bytes the live data occupies in the engine's own accounting (keys, values, overhead). */
    long bytes();

    /** The budget {@link #bytes()} may not cross; past it writes fail with OUT_OF_SPACE. */
    long bytesMax();

    /** Short engine name as configured ({@code memory}). */
    String name();

    /**
     * Calls sink for every live key whose ring position ({@code io.ringkv.common.RingPosition}) is
     * in {@code (startExclusive, endInclusive]} (unsigned, wrapping; equal ends = the whole ring).
     * Blocks the calling thread for the whole walk, so call it off the event loops; foreground
     * traffic goes on, and a write to the range during the walk may or may not be seen.
     */
    void forEachInRange(long startExclusive, long endInclusive, RecordSink sink);

    /** Removes every key of the range (see {@link #forEachInRange}); completes with how many. */
    CompletionStage<Long> dropRange(long startExclusive, long endInclusive);

    /** Receives the records of a range walk; the arrays are the sink's to keep. */
    @FunctionalInterface
    interface RecordSink {
        void accept(byte[] key, byte[] value, int version);
    }

    /** Why the engine refuses writes, or null while it accepts them. */
    default String writeFailure() {
        return null;
    }

    @Override
    void close();
}
