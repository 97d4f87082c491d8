package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static io.ringkv.storage.log.Engines.s;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class LogEngineBasicsTest {
    @TempDir
    Path dir;

    @Test
    void putGetRemoveSurviveRestart() throws Exception {
        var config = Engines.small(dir).build();
        try (LogEngine engine = LogEngine.open(config)) {
            join(engine.put(b("k1"), b("v1"), 1));
            join(engine.put(b("k2"), b("v2"), 2));
            join(engine.put(b("k1"), b("v1b"), 3));
            assertThat(join(engine.remove(b("k2")))).isTrue();
            assertThat(join(engine.remove(b("k2")))).isFalse();
            assertThat(s(engine.get(b("k1")).value())).isEqualTo("v1b");
            assertThat(engine.get(b("k1")).version()).isEqualTo(3);
            assertThat(engine.get(b("k2"))).isNull();
            assertThat(engine.keys()).isEqualTo(1);
        }
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(s(engine.get(b("k1")).value())).isEqualTo("v1b");
            assertThat(engine.get(b("k1")).version()).isEqualTo(3);
            assertThat(engine.get(b("k2"))).isNull();
            assertThat(engine.keys()).isEqualTo(1);
            assertThat(engine.stats().hintsWritten()).isZero();
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).contains("LOCK");
    }

    @Test
    void rollsOverAndMergesAndRestartsFromHints() throws Exception {
        var config = Engines.small(dir).segmentBytes(1024).build();
        try (LogEngine engine = LogEngine.open(config)) {
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 100; i++) {
                    join(engine.put(b("key" + i), b("value-" + round + "-" + i), round));
                }
            }
            for (int i = 0; i < 50; i++) {
                join(engine.remove(b("key" + i)));
            }
            Engines.idle(engine);
            long before = engine.bytes();
            join(engine.compact());
            Engines.idle(engine);
            assertThat(engine.bytes()).isLessThan(before);
            assertThat(engine.stats().merges()).isPositive();
            for (int i = 0; i < 100; i++) {
                var v = engine.get(b("key" + i));
                if (i < 50) {
                    assertThat(v).isNull();
                } else {
                    assertThat(s(v.value())).isEqualTo("value-4-" + i);
                }
            }
        }
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(engine.keys()).isEqualTo(50);
            for (int i = 50; i < 100; i++) {
                assertThat(s(engine.get(b("key" + i)).value())).isEqualTo("value-4-" + i);
            }
            assertThat(engine.stats().corruptRecords()).isZero();
        }
    }

    @Test
    void aRolledSegmentAMergeIsAboutToTakeGetsNoHintOfItsOwn() throws Exception {
        // Background merges on; ten keys overwritten over and over, so every rolled segment is
        // mostly dead when its hint would be written.
        var config = Engines.small(dir).segmentBytes(1024).mergeDeadRatio(0.5).build();
        int rounds = 300;
        try (LogEngine engine = LogEngine.open(config)) {
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < 10; i++) {
                    join(engine.put(b("key" + i), b("value-" + round + "-" + i), round));
                }
            }
            Engines.idle(engine);
            var stats = engine.stats();
            assertThat(stats.merges()).isPositive();
            assertThat(stats.hintsDeferred()).as("%s", stats).isPositive();
            for (int i = 0; i < 10; i++) {
                assertThat(s(engine.get(b("key" + i)).value())).isEqualTo("value-" + (rounds - 1) + "-" + i);
            }
        }
        // The clean close gave a hint to every segment whose hint waited for a merge that did not come.
        try (var files = Files.list(dir)) {
            for (Path data : files.filter(f -> f.toString().endsWith(Segment.DATA_SUFFIX)).toList()) {
                String name = data.getFileName().toString();
                assertThat(dir.resolve(name.substring(0, name.length() - Segment.DATA_SUFFIX.length())
                        + Segment.HINT_SUFFIX)).as("hint of %s", name).exists();
            }
        }
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(engine.keys()).isEqualTo(10);
            for (int i = 0; i < 10; i++) {
                assertThat(s(engine.get(b("key" + i)).value())).isEqualTo("value-" + (rounds - 1) + "-" + i);
                assertThat(engine.get(b("key" + i)).version()).isEqualTo(rounds - 1);
            }
            assertThat(engine.stats().corruptRecords()).isZero();
        }
    }

    @Test
    void aMergePassesOverValuesTheKeydirLeftAndKeepsEveryLiveOne() throws Exception {
        // Hot keys are overwritten (and now and then removed), so most of what a merge reads is
        // dead; each round also writes one key that is never touched again, so that every
        // segment a merge takes holds live values among the dead ones.
        var config = Engines.small(dir).segmentBytes(1024).mergeDeadRatio(0.5).build();
        int rounds = 201; // the last round puts every hot key (removes fall on rounds 3, 10, 17, ...)
        try (LogEngine engine = LogEngine.open(config)) {
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < 10; i++) {
                    if (round % 7 == 3 && i % 3 == 0) {
                        join(engine.remove(b("hot" + i)));
                    } else {
                        join(engine.put(b("hot" + i), b("value-" + round + "-" + i), round));
                    }
                }
                join(engine.put(b("stable" + round), b("kept-" + round), round));
            }
            Engines.idle(engine);
            engine.compact();
            var stats = engine.stats();
            assertThat(stats.merges()).isPositive();
            assertThat(stats.mergeDeadSkipped()).as("%s", stats).isPositive();
            assertLatest(engine, rounds);
        }
        try (LogEngine engine = LogEngine.open(config)) {
            assertThat(engine.keys()).isEqualTo(rounds + 10);
            assertLatest(engine, rounds);
            assertThat(engine.stats().corruptRecords()).isZero();
        }
    }

    private static void assertLatest(LogEngine engine, int rounds) throws Exception {
        for (int round = 0; round < rounds; round++) {
            var found = engine.get(b("stable" + round));
            assertThat(found).as("stable%d", round).isNotNull();
            assertThat(s(found.value())).isEqualTo("kept-" + round);
            assertThat(found.version()).isEqualTo(round);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(s(engine.get(b("hot" + i)).value())).isEqualTo("value-" + (rounds - 1) + "-" + i);
        }
    }
}
