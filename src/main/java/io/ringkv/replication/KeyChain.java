package io.ringkv.replication;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Runs the operations on one key one after another, without holding a thread while they wait:
 * each operation starts when the one before it on the same key has completed. Replication needs
 * it so that backups see a key's writes in the order the primary applied them (the next write is
 * not sent before every backup acknowledged the last), and so that a read never returns a write
 * that is not yet on every replica.
 *
 * <p>Memory is one map entry per key with an operation running or waiting; the node's in-flight
 * bound limits it. An operation that waits is started on {@code executor}, so a long queue on one
 * hot key unwinds without deep recursion on the completing thread. Thread-safe.
 */
final class KeyChain {
    private final ConcurrentHashMap<ByteBuffer, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Executor executor;

    KeyChain(Executor executor) {
        this.executor = executor;
    }

    /** Runs op after every operation queued on key before it, and before any queued after it. */
    <T> CompletionStage<T> exclusive(ByteBuffer key, Supplier<CompletionStage<T>> op) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> before = tails.put(key, mine);
        CompletionStage<T> result = before == null ? start(op) : before.thenComposeAsync(ignored -> start(op), executor);
        return result.whenComplete((value, failure) -> {
            tails.remove(key, mine);
            mine.complete(null);
        });
    }

    /** Runs op once the operations queued on key so far have completed; later ones do not wait for it. */
    <T> CompletionStage<T> after(ByteBuffer key, Supplier<CompletionStage<T>> op) {
        CompletableFuture<Void> tail = tails.get(key);
        return tail == null ? start(op) : tail.thenComposeAsync(ignored -> start(op), executor);
    }

    /** Keys with an operation running or queued. */
    int size() {
        return tails.size();
    }

    private static <T> CompletionStage<T> start(Supplier<CompletionStage<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
