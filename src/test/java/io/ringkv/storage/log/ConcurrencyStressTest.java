package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import io.ringkv.storage.Versioned;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers on disjoint keys, readers on all keys, merges and range scans, all at once, with tiny
 * segments and the background merge on. Each value names its key and version, so a reader can
 * tell a torn or misplaced read from a stale one. Bounded: about two seconds of traffic.
 */
@Timeout(60)
class ConcurrencyStressTest {
    private static final int WRITERS = 6;
    private static final int KEYS_PER_WRITER = 40;

    @TempDir
    Path dir;

    private static byte[] value(String key, int version) {
        return b(key + "@" + version + "#" + "p".repeat(version % 37));
    }

    @Test
    void everythingAtOnce() throws Exception {
        long seed = TestSeeds.seed();
        var config = Engines.small(dir).segmentBytes(2048).mergeDeadRatio(0.3).mergeMinDeadBytes(2048)
                .fsync(FsyncPolicy.NEVER).build();
        List<ConcurrentHashMap<String, Integer>> models = new ArrayList<>();
        AtomicReference<Throwable> trouble = new AtomicReference<>();
        try (LogEngine engine = LogEngine.open(config)) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                var model = new ConcurrentHashMap<String, Integer>();
                models.add(model);
                int writer = w;
                threads.add(Thread.ofPlatform().start(() -> guard(trouble, () -> {
                    Random random = new Random(seed + writer);
                    int version = 0;
                    while (!stop.get()) {
                        String key = "w" + writer + "-" + random.nextInt(KEYS_PER_WRITER);
                        if (random.nextInt(5) == 0) {
                            boolean existed = join(engine.remove(b(key)));
                            assertThat(existed).as("seed %d %s", seed, key).isEqualTo(model.remove(key) != null);
                        } else {
                            version++;
                            join(engine.put(b(key), value(key, version), version));
                            model.put(key, version);
                        }
                    }
                })));
            }
            for (int r = 0; r < 2; r++) {
                int reader = r;
                threads.add(Thread.ofPlatform().start(() -> guard(trouble, () -> {
                    Random random = new Random(seed * 31 + reader);
                    while (!stop.get()) {
                        String key = "w" + random.nextInt(WRITERS) + "-" + random.nextInt(KEYS_PER_WRITER);
                        Versioned v = engine.get(b(key));
                        if (v != null) {
                            assertThat(v.value()).as("seed %d %s", seed, key).isEqualTo(value(key, v.version()));
                        }
                    }
                })));
            }
            threads.add(Thread.ofPlatform().start(() -> guard(trouble, () -> {
                while (!stop.get()) {
                    join(engine.compact());
                    engine.scanRange(0, 0, rec -> {
                        String key = new String(rec.key());
                        assertThat(rec.value()).as("seed %d scan %s", seed, key).isEqualTo(value(key, rec.version()));
                    });
                }
            })));
            Thread.sleep(2000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertThat(trouble.get()).as("seed %d", seed).isNull();
            verify(engine, models, seed);
            assertThat(engine.stats().merges()).isPositive();
        }
        try (LogEngine engine = LogEngine.open(config)) {
            verify(engine, models, seed);
            assertThat(engine.stats().corruptRecords()).isZero();
        }
    }

    private static void verify(LogEngine engine, List<ConcurrentHashMap<String, Integer>> models, long seed) {
        long expectedKeys = 0;
        for (int w = 0; w < WRITERS; w++) {
            for (int k = 0; k < KEYS_PER_WRITER; k++) {
                String key = "w" + w + "-" + k;
                Integer version = models.get(w).get(key);
                Versioned v = engine.get(b(key));
                if (version == null) {
                    assertThat(v).as("seed %d %s", seed, key).isNull();
                } else {
                    expectedKeys++;
                    assertThat(v).as("seed %d %s", seed, key).isNotNull();
                    assertThat(v.version()).as("seed %d %s", seed, key).isEqualTo(version);
                    assertThat(v.value()).isEqualTo(value(key, version));
                }
            }
        }
        assertThat(engine.keys()).as("seed %d", seed).isEqualTo(expectedKeys);
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void guard(AtomicReference<Throwable> trouble, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            trouble.compareAndSet(null, t);
        }
    }
}
