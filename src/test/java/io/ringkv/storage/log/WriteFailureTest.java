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

/** An fsync or write error is fatal for writes; reads go on. */
@Timeout(60)
class WriteFailureTest {

    private static void assertFailure(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.reason()).isEqualTo(StorageException.Reason.FAILURE));
    }

    @Test
    void eioOnFsyncRefusesWritesAndKeepsServingReads() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        try (Quiet quiet = new Quiet(); LogEngine engine = LogEngine.open(Engines.small(Path.of("sim")).build(), fs, new ManualExecutor())) {
            join(engine.put(b("a"), b("1"), 1));
            join(engine.put(b("b"), b("2"), 2));
            assertThat(engine.writeFailure()).isNull();

            fs.failForce(name -> true);
            assertFailure(() -> join(engine.put(b("c"), b("3"), 3)));
            assertThat(engine.writeFailure()).contains("fsync").contains("EIO");
            assertThat(engine.get(b("c"))).as("a write whose fsync failed is not visible").isNull();

            fs.failForce(name -> false); // even if the disk recovers: the page cache state is unknown
            assertFailure(() -> join(engine.put(b("d"), b("4"), 4)));
            assertFailure(() -> join(engine.remove(b("a"))));
            assertFailure(() -> join(engine.wipe()));

            assertThat(engine.get(b("a")).value()).isEqualTo(b("1"));
            assertThat(engine.get(b("b")).version()).isEqualTo(2);
            assertThat(engine.keys()).isEqualTo(2);
            assertThat(engine.stats().writeFailure()).isEqualTo(engine.writeFailure());
        }
    }

    @Test
    void failedAppendIsFatalToo() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        try (Quiet quiet = new Quiet(); LogEngine engine = LogEngine.open(Engines.small(Path.of("sim")).build(), fs, new ManualExecutor())) {
            join(engine.put(b("a"), b("1"), 1));
            fs.powerLossAfter(0); // every later mutation fails, like a dead disk
            assertFailure(() -> join(engine.put(b("b"), b("2"), 2)));
            assertThat(engine.writeFailure()).contains("failed");
            assertThat(engine.get(b("a")).value()).isEqualTo(b("1"));
        }
    }

    @Test
    void failedBackgroundFsyncUnderIntervalIsFatal() throws Exception {
        SimulatedFileSystem fs = new SimulatedFileSystem();
        var config = Engines.small(Path.of("sim")).fsync(FsyncPolicy.interval(5)).build();
        try (Quiet quiet = new Quiet(); LogEngine engine = LogEngine.open(config, fs, new ManualExecutor())) {
            fs.failForce(name -> true);
            join(engine.put(b("a"), b("1"), 1)); // acknowledged after the write syscall
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.writeFailure() != null);
            assertFailure(() -> join(engine.put(b("b"), b("2"), 2)));
            assertThat(engine.get(b("a")).value()).isEqualTo(b("1"));
        }
    }
}
