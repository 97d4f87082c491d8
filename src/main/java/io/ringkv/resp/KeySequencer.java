package io.ringkv.resp;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs asynchronous operations on one key one after the other: each starts when the previous one
 * on the same key has completed. Nothing blocks; a key with nothing running holds no memory. The
 * map is bounded by the operations in flight, which the connections' pipeline limits bound.
 */
final class KeySequencer {
    private final ConcurrentHashMap<ByteBuffer, CompletableFuture<?>> tails = new ConcurrentHashMap<>();

    <T> CompletionStage<T> run(byte[] key, Supplier<CompletionStage<T>> operation) {
        ByteBuffer id = ByteBuffer.wrap(key.clone());
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<?> previous = tails.put(id, result);
        Runnable start = () -> {
            CompletionStage<T> stage;
            try {
                stage = operation.get();
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
            stage.whenComplete((value, failure) -> {
                // Removed before completing, so that a follower that finds no tail is never
                // started before this operation has finished.
                tails.remove(id, result);
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(value);
                }
            });
        };
        if (previous == null) {
            start.run();
        } else {
            previous.whenComplete((ignored, failure) -> start.run());
        }
        return result;
    }

    /** Keys with an operation running or waiting, for tests. */
    int size() {
        return tails.size();
    }
}
