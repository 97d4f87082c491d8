package io.ringkv.storage.log;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Small helpers shared by the log engine tests. */
final class Engines {
    private Engines() {}

    /** A configuration for tests: small segments, background merge off unless asked for. */
    static LogEngine.Config.Builder small(Path dir) {
        return LogEngine.Config.builder(dir)
                .segmentBytes(4096)
                .minFreeDiskBytes(0)
                .mergeDeadRatio(2) // off: tests call compact() where they want a merge
                .mergeMinDeadBytes(0)
                .keyBytesMax(64)
                .valueBytesMax(1024)
                .writeQueueBytesMax(1 << 20);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Waits for a stage (bounded) and unwraps its failure. */
    static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("stage did not complete in 30 s", e);
        }
    }

    /** Runs a manual executor's tasks until stage completes (bounded): background work in tests. */
    static <T> CompletionStage<T> drive(CompletionStage<T> stage, ManualExecutor executor) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        var future = stage.toCompletableFuture();
        while (!future.isDone() && System.nanoTime() < deadline) {
            if (executor.runAll() == 0) {
                Thread.onSpinWait();
            }
        }
        return stage;
    }

    static void idle(LogEngine engine) {
        try {
            engine.awaitIdle(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
