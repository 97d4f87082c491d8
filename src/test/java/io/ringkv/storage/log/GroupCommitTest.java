package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ringkv.common.CallerLoop;
import io.ringkv.storage.StorageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One fsync covers every write waiting for it; call order per key; a bounded queue answers BUSY. */
@Timeout(60)
class GroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void concurrentWritersShareFsyncs() throws Exception {
        AtomicLong fsyncs = new AtomicLong();
        AtomicInteger largestBatch = new AtomicInteger();
        var config = Engines.small(dir).segmentBytes(1 << 20)
                .fsyncNanosListener(nanos -> fsyncs.incrementAndGet())
                .batchSizeListener(ops -> largestBatch.accumulateAndGet(ops, Math::max))
                .build();
        int threads = 32;
        int perThread = 100;
        try (LogEngine engine = LogEngine.open(config)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            join(engine.put(b("t" + id + "-" + i), b("v" + i), i));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            go.countDown();
            for (Thread w : writers) {
                w.join(30_000);
            }
            assertThat(engine.keys()).isEqualTo(threads * perThread);
            var stats = engine.stats();
            assertThat(stats.batchedOps()).isEqualTo(threads * perThread);
            assertThat(stats.fsyncs()).as("one fsync per group, not per write").isLessThan(threads * perThread);
            assertThat(stats.batchOpsMax()).isGreaterThan(1);
            assertThat(largestBatch.get()).isEqualTo(stats.batchOpsMax());
            assertThat(fsyncs.get()).isEqualTo(stats.fsyncs());
        }
    }

    @Test
    void withoutFsyncsAnEventLoopAppendsEachBurstItselfAsOneBatch() throws Exception {
        for (FsyncPolicy policy : List.of(new FsyncPolicy.Never())) {
            Set<String> fsyncThreads = ConcurrentHashMap.newKeySet();
            AtomicLong batches = new AtomicLong();
            var config = Engines.small(dir.resolve(policy.getClass().getSimpleName())).fsync(policy)
                    .segmentBytes(16 << 10) // rolls a few times
                    .fsyncNanosListener(nanos -> fsyncThreads.add(Thread.currentThread().getName()))
                    .batchSizeListener(ops -> batches.incrementAndGet())
                    .build();
            ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-loop"));
            int bursts = 100;
            int perBurst = 16;
            AtomicInteger appliedOnLoop = new AtomicInteger();
            try (LogEngine engine = LogEngine.open(config)) {
                loop.submit(() -> CallerLoop.register(loop)).get();
                List<CompletableFuture<Void>> puts = new ArrayList<>();
                for (int b = 0; b < bursts; b++) {
                    int burst = b;
                    loop.submit(() -> { // like one pipelined read: several writes, then the loop's tasks
                        for (int i = 0; i < perBurst; i++) {
                            int n = burst * perBurst + i;
                            CompletableFuture<Void> put = engine.put(b("k" + n), b("value-" + n), n).toCompletableFuture();
                            put.whenComplete((ignored, failure) -> {
                                if (Thread.currentThread().getName().equals("test-loop")) {
                                    appliedOnLoop.incrementAndGet();
                                }
                            });
                            puts.add(put);
                        }
                    }).get();
                }
                puts.forEach(Engines::join);
                for (int n = 0; n < bursts * perBurst; n++) {
                    assertThat(Engines.s(engine.get(b("k" + n)).value())).isEqualTo("value-" + n);
                }
            } finally {
                loop.shutdownNow();
            }
            // The writer still wakes once a second and takes what it finds queued then.
            assertThat(appliedOnLoop.get()).as("%s: writes appended on the loop", policy)
                    .isGreaterThan(bursts * perBurst * 9 / 10);
            assertThat(batches.get()).as("%s: a burst is appended as one batch", policy).isLessThan(bursts * 2);
            assertThat(fsyncThreads).as("%s: rolls on the loop, the close fsync on the writer", policy)
                    .containsOnly("test-loop", "ringkv-log-writer");
        }
    }

    @Test
    void withFsyncsDueEvenAnEventLoopLeavesEveryAppendToTheWriter() throws Exception {
        for (FsyncPolicy policy : List.of(new FsyncPolicy.Always(), FsyncPolicy.interval(5))) {
            Set<String> fsyncThreads = ConcurrentHashMap.newKeySet();
            var config = Engines.small(dir.resolve(policy.getClass().getSimpleName())).fsync(policy)
                    .fsyncNanosListener(nanos -> fsyncThreads.add(Thread.currentThread().getName()))
                    .build();
            ExecutorService loop = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-loop"));
            try (LogEngine engine = LogEngine.open(config)) {
                loop.submit(() -> CallerLoop.register(loop)).get();
                for (int i = 0; i < 50; i++) {
                    int n = i;
                    join(loop.submit(() -> engine.put(b("k" + n), b("v"), n)).get());
                    Thread.sleep(policy instanceof FsyncPolicy.Interval ? 1 : 0);
                }
                assertThat(engine.stats().fsyncs()).as("%s", policy).isGreaterThanOrEqualTo(5);
            } finally {
                loop.shutdownNow();
            }
            assertThat(fsyncThreads).as("%s", policy).containsOnly("ringkv-log-writer");
        }
    }

    @Test
    void aRemoveThatFindsTheKeyRemovedEarlierInItsBatchAnswersOnlyOnceThatRemoveIsApplied() throws Exception {
        // Found by the linearizability checker (RegisterHistoryIT): the second REMOVE was answered
        // NO_SUCH_KEY from the batch while GETs still saw the key until the batch was applied.
        try (LogEngine engine = LogEngine.open(Engines.small(dir).build())) {
            AtomicInteger seenAfterNoSuchKey = new AtomicInteger();
            AtomicInteger secondFoundNothing = new AtomicInteger();
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                byte[] key = b("k" + i);
                all.add(engine.put(key, b("v"), i).toCompletableFuture());
                all.add(engine.remove(key).toCompletableFuture());
                all.add(engine.remove(key).toCompletableFuture().thenAccept(existed -> {
                    if (!existed) {
                        secondFoundNothing.incrementAndGet();
                        if (engine.get(key) != null) {
                            seenAfterNoSuchKey.incrementAndGet();
                        }
                    }
                }));
            }
            all.forEach(f -> join(f));
            assertThat(secondFoundNothing.get()).isEqualTo(500);
            assertThat(seenAfterNoSuchKey.get()).as("keys still readable after a REMOVE said they were gone").isZero();
        }
    }

    @Test
    void writesToOneKeyTakeEffectInCallOrder() throws Exception {
        try (LogEngine engine = LogEngine.open(Engines.small(dir).build())) {
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                all.add(i % 10 == 9 ? engine.remove(b("k")).toCompletableFuture()
                        : engine.put(b("k"), b("v" + i), i).toCompletableFuture());
            }
            all.add(engine.put(b("k"), b("last"), -1).toCompletableFuture());
            all.forEach(f -> join(f));
            // Each remove (i % 10 == 9) found the put just before it.
            for (int i = 9; i < 2000; i += 10) {
                assertThat(join(all.get(i))).isEqualTo(Boolean.TRUE);
            }
            assertThat(engine.get(b("k")).value()).isEqualTo(b("last"));
            assertThat(engine.get(b("k")).version()).isEqualTo(-1);
        }
    }

    @Test
    void aFullQueueAnswersBusyWithoutBlockingTheCaller() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        fs.forceDelayMs(20);
        var config = Engines.small(Path.of("sim")).writeQueueBytesMax(16 << 10).build();
        try (LogEngine engine = LogEngine.open(config, fs, new ManualExecutor())) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                futures.add(engine.put(b("k" + i), new byte[100], i).toCompletableFuture());
            }
            long callerMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(callerMillis).as("the caller never waits for the disk").isLessThan(1000);
            int busy = 0;
            int ok = 0;
            for (CompletableFuture<Void> f : futures) {
                try {
                    join(f);
                    ok++;
                } catch (StorageException e) {
                    assertThat(e.reason()).isEqualTo(StorageException.Reason.BUSY);
                    busy++;
                }
            }
            assertThat(busy).isPositive();
            assertThat(ok).isPositive();
            assertThat(engine.keys()).isEqualTo(ok);
        }
    }

    @Test
    void intervalPolicyFsyncsInTheBackground() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        var config = Engines.small(Path.of("sim")).fsync(FsyncPolicy.interval(10)).build();
        try (LogEngine engine = LogEngine.open(config, fs, new ManualExecutor())) {
            long before = engine.stats().fsyncs();
            join(engine.put(b("k"), b("v"), 1)); // acknowledged before any fsync
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().fsyncs() > before);
            // What was synced survives a power loss.
            SimulatedFileSystem image = fs.crashImage(new java.util.Random(1), SimulatedFileSystem.Tear.NONE);
            try (LogEngine after = LogEngine.open(config, image, new ManualExecutor())) {
                assertThat(after.get(b("k")).value()).isEqualTo(b("v"));
            }
        }
    }

    @Test
    void closedEngineRefusesWithFailure() throws Exception {
        LogEngine engine = LogEngine.open(Engines.small(dir).build());
        engine.close();
        try {
            join(engine.put(b("k"), b("v"), 1));
            throw new AssertionError("put after close succeeded");
        } catch (StorageException | CompletionException e) {
            assertThat(e).isInstanceOf(StorageException.class);
        }
        engine.close(); // twice is fine
    }
}
