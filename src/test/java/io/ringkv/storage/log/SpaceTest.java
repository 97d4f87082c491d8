package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ringkv.storage.StorageException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** OUT_OF_SPACE instead of a crash, and space back after removes + merge or a wipe. */
@Timeout(60)
class SpaceTest {
    @TempDir
    Path dir;

    private static void assertOutOfSpace(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.reason()).isEqualTo(StorageException.Reason.OUT_OF_SPACE));
    }

    /** Puts 200-byte values until the budget refuses one; returns how many fit. */
    private static int fill(LogEngine engine, String prefix) {
        for (int i = 0; i < 10_000; i++) {
            try {
                join(engine.put(b(prefix + i), new byte[200], i));
            } catch (StorageException e) {
                assertThat(e.reason()).isEqualTo(StorageException.Reason.OUT_OF_SPACE);
                return i;
            }
        }
        throw new AssertionError("the budget never filled up");
    }

    @Test
    void maxBytesAnswersOutOfSpaceAndRemovesPlusMergeOrWipeGiveSpaceBack() throws Exception {
        long maxBytes = 32 << 10;
        var config = Engines.small(dir).segmentBytes(4096).maxBytes(maxBytes).build();
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(engine.bytesMax()).isEqualTo(maxBytes);
            int fitted = fill(engine, "a");
            assertThat(fitted).isGreaterThan(100);
            assertThat(engine.bytes()).isLessThanOrEqualTo(maxBytes);
            assertThat(engine.get(b("a" + fitted))).isNull();
            assertOutOfSpace(() -> join(engine.put(b("b"), new byte[200], 0)));
            assertThat(engine.get(b("a0")).value()).hasSize(200);

            // Removes still work when full (tombstones have a reserve), and a merge frees the space.
            for (int i = 0; i < fitted; i += 2) {
                assertThat(join(engine.remove(b("a" + i)))).isTrue();
            }
            join(engine.compact());
            Engines.idle(engine);
            assertThat(engine.bytes()).isLessThan(maxBytes * 6 / 10);
            int again = fill(engine, "c");
            assertThat(again).isGreaterThan(fitted / 3);
            assertThat(engine.get(b("a1")).value()).hasSize(200);

            join(engine.wipe());
            Engines.idle(engine);
            assertThat(engine.bytes()).isLessThan(100);
            assertThat(engine.keys()).isZero();
            assertThat(fill(engine, "d")).isGreaterThan(100);
        }
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(engine.get(b("a1"))).isNull();
            assertThat(engine.get(b("c1"))).isNull();
            assertThat(engine.get(b("d1")).value()).hasSize(200);
        }
    }

    @Test
    void freeDiskGuardRefusesPutsButLetsRemovesThrough() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        long minFree = 1 << 20;
        // Every clock reading is a second later, so the writer never trusts an old free-space reading.
        var now = new java.util.concurrent.atomic.AtomicLong();
        var config = Engines.small(Path.of("sim")).minFreeDiskBytes(minFree).clock(() -> now.addAndGet(1_000_000_000L)).build();
        try (LogEngine engine = LogEngine.open(config, fs, new ManualExecutor())) {
            join(engine.put(b("k"), b("v"), 1));
            join(engine.put(b("k2"), b("v"), 1));
            fs.usableBytes(minFree - 10); // the disk filled up behind our back
            assertOutOfSpace(() -> join(engine.put(b("k3"), b("v"), 1)));
            assertThat(join(engine.remove(b("k")))).isTrue(); // removes may use half the guard
            fs.usableBytes(minFree / 2 - 10); // below even the removes' share
            assertOutOfSpace(() -> join(engine.remove(b("k2"))));
            assertThat(engine.writeFailure()).as("a full disk is not an I/O failure").isNull();
            fs.usableBytes(10L << 30);
            assertThat(engine.bytesMax()).isEqualTo((10L << 30) + engine.bytes());
            join(engine.put(b("k4"), b("v"), 1));
            assertThat(engine.get(b("k"))).isNull();
            assertThat(engine.get(b("k2")).value()).isEqualTo(b("v"));
        }
    }

    @Test
    void backgroundMergeRunsByItselfPastTheThreshold() throws Exception {
        var config = Engines.small(dir).segmentBytes(2048).mergeDeadRatio(0.4).mergeMinDeadBytes(4096).build();
        try (LogEngine engine = LogEngine.open(config)) {
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 50; i++) {
                    join(engine.put(b("k" + i), new byte[100], round));
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                join(engine.put(b("tick"), new byte[1], 0)); // the writer checks after each batch
                return engine.stats().merges() > 0;
            });
            Engines.idle(engine);
            assertThat(engine.stats().mergeBytesReclaimed()).isPositive();
            for (int i = 0; i < 50; i++) {
                assertThat(engine.get(b("k" + i)).version()).isEqualTo(19);
            }
        }
    }
}
