package io.ringkv.storage.memory;

import io.ringkv.storage.StorageEngine;
import io.ringkv.storage.StorageException;
import io.ringkv.storage.Versioned;
import io.ringkv.common.RingPosition;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded in-memory engine: data is lost when the process ends. Useful for caches and tests.
 *
 * <p>The budget is enforced on an estimate of the heap each entry costs (key, value, the map
 * node, the wrappers), so that filling it answers OUT_OF_SPACE instead of running the JVM out of
 * memory. Writes complete before their stage is returned.
 */
public final class MemoryEngine implements StorageEngine {
    /**
     * Estimated heap bytes per entry beyond key and value: map node (32), key wrapper (16) and
     * its ByteBuffer (48), Versioned (24), two array headers (32), table slot (8).
     */
    static final int ENTRY_OVERHEAD_BYTES = 160;

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<Boolean> REMOVED = CompletableFuture.completedFuture(true);
    private static final CompletableFuture<Boolean> ABSENT = CompletableFuture.completedFuture(false);

    private final ConcurrentHashMap<ByteBuffer, Versioned> map = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final long bytesMax;
    private volatile boolean closed;

    public MemoryEngine(long bytesMax) {
        if (bytesMax <= 0) {
            throw new IllegalArgumentException("bytesMax must be positive, was " + bytesMax);
        }
        this.bytesMax = bytesMax;
    }

    static long cost(int keyBytes, int valueBytes) {
        return (long) keyBytes + valueBytes + ENTRY_OVERHEAD_BYTES;
    }

    @Override
    public Versioned get(byte[] key) {
        checkOpen();
        return map.get(ByteBuffer.wrap(key));
    }

    @Override
    public CompletionStage<Void> put(byte[] key, byte[] value, int version) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        long added = cost(key.length, value.length);
        // Reserve first so that concurrent writers cannot together overshoot the budget.
        long reserved = bytes.addAndGet(added);
        Versioned previous = null;
        boolean stored = false;
        try {
            if (reserved > bytesMax) {
                // A replacement may still fit once the old value's bytes are returned.
                Versioned current = map.get(ByteBuffer.wrap(key));
                long freed = current == null ? 0 : cost(key.length, current.value().length);
                if (reserved - freed > bytesMax) {
                    return CompletableFuture.failedFuture(new StorageException(
                            StorageException.Reason.OUT_OF_SPACE,
                            "memory engine budget of " + bytesMax + " bytes is full"));
                }
            }
            previous = map.put(ByteBuffer.wrap(key.clone()), new Versioned(value.clone(), version));
            stored = true;
            return DONE;
        } finally {
            if (!stored) {
                bytes.addAndGet(-added);
            } else if (previous != null) {
                bytes.addAndGet(-cost(key.length, previous.value().length));
            }
        }
    }

    @Override
    public CompletionStage<Boolean> remove(byte[] key) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        Versioned previous = map.remove(ByteBuffer.wrap(key));
        if (previous == null) {
            return ABSENT;
        }
        bytes.addAndGet(-cost(key.length, previous.value().length));
        return REMOVED;
    }

    @Override
    public CompletionStage<Void> wipe() {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        // Remove entry by entry so the byte count stays exact under concurrent writes.
        for (ByteBuffer key : map.keySet()) {
            Versioned previous = map.remove(key);
            if (previous != null) {
                bytes.addAndGet(-cost(key.remaining(), previous.value().length));
            }
        }
        return DONE;
    }

    @Override
    public void forEachInRange(long startExclusive, long endInclusive, RecordSink sink) {
        checkOpen();
        map.forEach((key, versioned) -> {
            byte[] k = new byte[key.remaining()];
            key.duplicate().get(k);
            if (RingPosition.inRange(RingPosition.of(k), startExclusive, endInclusive)) {
                sink.accept(k, versioned.value().clone(), versioned.version());
            }
        });
    }

    @Override
    public CompletionStage<Long> dropRange(long startExclusive, long endInclusive) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        long dropped = 0;
        for (ByteBuffer key : map.keySet()) {
            byte[] k = new byte[key.remaining()];
            key.duplicate().get(k);
            if (RingPosition.inRange(RingPosition.of(k), startExclusive, endInclusive)) {
                Versioned previous = map.remove(key);
                if (previous != null) {
                    bytes.addAndGet(-cost(k.length, previous.value().length));
                    dropped++;
                }
            }
        }
        return CompletableFuture.completedFuture(dropped);
    }

    @Override
    public long keys() {
        return map.size();
    }

    @Override
    public long bytes() {
        return Math.max(0, bytes.get());
    }

    @Override
    public long bytesMax() {
        return bytesMax;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public void close() {
        closed = true;
        map.clear();
        bytes.set(0);
    }

    private void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private static StorageException closedException() {
        return new StorageException(StorageException.Reason.FAILURE, "storage engine is closed");
    }
}
