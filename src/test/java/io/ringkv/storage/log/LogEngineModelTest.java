package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.TestSeeds;
import io.ringkv.storage.Versioned;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against a HashMap: random puts, overwrites, removes, reads, merges, wipes and clean
 * restarts, with segments small enough that every few writes roll over, background merges on,
 * under every fsync policy. Prints its seed; {@code -Dringkv.seed=N} replays it.
 */
@Timeout(120)
class LogEngineModelTest {
    @TempDir
    Path dir;

    record Stored(byte[] value, int version) {}

    @Test
    void realFileSystemMatchesTheModel() throws IOException {
        long seed = TestSeeds.seed();
        System.out.println("LogEngineModelTest real seed " + seed);
        run(seed, 1200, config -> LogEngine.open(config)); // real fsyncs: fewer steps
    }

    @Test
    void simulatedFileSystemMatchesTheModel() throws IOException {
        long seed = TestSeeds.seed();
        System.out.println("LogEngineModelTest simulated seed " + seed);
        SimulatedFileSystem fs = new SimulatedFileSystem();
        run(seed, 3000, config -> LogEngine.open(config, fs));
    }

    interface Opener {
        LogEngine open(LogEngine.Config config) throws IOException;
    }

    private void run(long seed, int steps, Opener opener) throws IOException {
        Random random = new Random(seed);
        FsyncPolicy policy = switch (random.nextInt(3)) {
            case 0 -> FsyncPolicy.ALWAYS;
            case 1 -> FsyncPolicy.interval(1 + random.nextInt(20));
            default -> FsyncPolicy.NEVER;
        };
        LogEngine.Config config = Engines.small(dir)
                .segmentBytes(128 + random.nextInt(4000))
                .fsync(policy)
                .mergeDeadRatio(random.nextBoolean() ? 0.3 : 2)
                .mergeMinDeadBytes(random.nextInt(4096))
                .keyBytesMax(40)
                .valueBytesMax(300)
                .build();
        String where = "seed " + seed + " config " + config.segmentBytes() + "/" + policy + "/" + config.mergeDeadRatio();
        List<byte[]> universe = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] key = new byte[1 + random.nextInt(40)];
            random.nextBytes(key);
            universe.add(key);
        }
        Map<ByteBuffer, Stored> model = new HashMap<>();
        LogEngine engine = opener.open(config);
        try {
            for (int step = 0; step < steps; step++) {
                byte[] key = universe.get(random.nextInt(universe.size()));
                ByteBuffer k = ByteBuffer.wrap(key);
                int dice = random.nextInt(1000);
                String at = where + " step " + step;
                if (dice < 500) {
                    byte[] value = new byte[random.nextInt(301)];
                    random.nextBytes(value);
                    int version = random.nextInt();
                    join(engine.put(key, value, version));
                    model.put(k, new Stored(value, version));
                } else if (dice < 700) {
                    boolean existed = join(engine.remove(key));
                    assertThat(existed).as(at + " remove result").isEqualTo(model.remove(k) != null);
                } else if (dice < 985) {
                    check(engine, key, model.get(k), at);
                } else if (dice < 993) {
                    join(engine.compact());
                } else if (dice < 999) {
                    engine.close();
                    engine = opener.open(config);
                    checkAll(engine, universe, model, at + " after restart");
                } else {
                    join(engine.wipe());
                    model.clear();
                }
            }
            Engines.idle(engine);
            checkAll(engine, universe, model, where + " at the end");
            engine.close();
            engine = opener.open(config);
            checkAll(engine, universe, model, where + " after the last restart");
            assertThat(engine.stats().corruptRecords()).as(where).isZero();
            assertThat(engine.stats().tornTailBytes()).as(where).isZero();
        } finally {
            engine.close();
        }
    }

    private static void checkAll(LogEngine engine, List<byte[]> universe, Map<ByteBuffer, Stored> model, String at) {
        for (byte[] key : universe) {
            check(engine, key, model.get(ByteBuffer.wrap(key)), at);
        }
        assertThat(engine.keys()).as(at + " keys").isEqualTo(model.size());
    }

    private static void check(LogEngine engine, byte[] key, Stored expected, String at) {
        Versioned actual = engine.get(key);
        if (expected == null) {
            assertThat(actual).as(at + " key " + Arrays.toString(key)).isNull();
        } else {
            assertThat(actual).as(at + " key " + Arrays.toString(key)).isNotNull();
            assertThat(actual.value()).as(at).isEqualTo(expected.value());
            assertThat(actual.version()).as(at).isEqualTo(expected.version());
        }
    }
}
