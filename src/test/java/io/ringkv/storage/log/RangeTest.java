package io.ringkv.storage.log;

import static io.ringkv.storage.log.Engines.b;
import static io.ringkv.storage.log.Engines.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.ringkv.common.RingPosition;
import io.ringkv.common.TestSeeds;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** scanRange and dropRange over ring ranges, wrapping ones and the whole ring, while writes go on. */
@Timeout(60)
class RangeTest {
    private static final int KEYS = 3000;

    @TempDir
    Path dir;

    private static byte[] key(int i) {
        return b("range-key-" + i);
    }

    private static byte[] value(int i) {
        return b("value-" + i + "-" + "x".repeat(i % 50));
    }

    private LogEngine filled() throws Exception {
        LogEngine engine = LogEngine.open(Engines.small(dir).segmentBytes(16 << 10).build());
        var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Void>>();
        for (int i = 0; i < KEYS; i++) {
            futures.add(engine.put(key(i), value(i), i).toCompletableFuture());
        }
        futures.forEach(f -> join(f));
        return engine;
    }

    private static Set<Integer> expected(long start, long end) {
        Set<Integer> in = new HashSet<>();
        for (int i = 0; i < KEYS; i++) {
            if (RingPosition.inRange(RingPosition.of(key(i)), start, end)) {
                in.add(i);
            }
        }
        return in;
    }

    private static int indexOf(byte[] key) {
        return Integer.parseInt(new String(key).substring("range-key-".length()));
    }

    @Test
    void scanReturnsExactlyTheRangeInRingOrder() throws Exception {
        long seed = TestSeeds.seed();
        Random random = new Random(seed);
        try (LogEngine engine = filled()) {
            long[][] ranges = {
                {0, 0}, // whole ring
                {Long.MIN_VALUE, Long.MIN_VALUE + 1}, // tiny
                {0x1000_0000_0000_0000L, 0x6000_0000_0000_0000L},
                {0xC000_0000_0000_0000L, 0x2000_0000_0000_0000L}, // wraps past the top
                {-1L, 0x3000_0000_0000_0000L}, // starts at the very top
                {0x7000_0000_0000_0000L, -1L}, // ends at the very top
                {random.nextLong(), random.nextLong()},
            };
            for (long[] range : ranges) {
                Map<Integer, Integer> seen = new HashMap<>();
                long[] last = {Long.MIN_VALUE};
                boolean[] wrapped = {false};
                engine.scanRange(range[0], range[1], r -> {
                    int i = indexOf(r.key());
                    seen.merge(i, 1, Integer::sum);
                    assertThat(r.value()).isEqualTo(value(i));
                    assertThat(r.version()).isEqualTo(i);
                    long p = RingPosition.of(r.key());
                    if (last[0] != Long.MIN_VALUE && Long.compareUnsigned(p, last[0]) < 0) {
                        assertThat(wrapped[0]).as("seed %d: at most one wrap", seed).isFalse();
                        wrapped[0] = true;
                    }
                    last[0] = p;
                });
                String what = "seed " + seed + " range " + Long.toHexString(range[0]) + ".." + Long.toHexString(range[1]);
                assertThat(seen.keySet()).as(what).isEqualTo(expected(range[0], range[1]));
                assertThat(seen.values()).as(what + ": each key once").allMatch(n -> n == 1);
            }
        }
    }

    @Test
    void scanAndDropWhileWritesAndMergesGoOn() throws Exception {
        long start = 0xA000_0000_0000_0000L;
        long end = 0x4000_0000_0000_0000L; // wraps
        Set<Integer> inRange = expected(start, end);
        try (LogEngine engine = filled()) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> trouble = new AtomicReference<>();
            // Foreground traffic on keys outside the range, plus merges moving records around.
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    int round = 0;
                    while (!stop.get()) {
                        round++;
                        for (int i = 0; i < KEYS; i += 7) {
                            if (!inRange.contains(i)) {
                                join(engine.put(key(i), value(i), i));
                            }
                        }
                        if (round % 3 == 0) {
                            join(engine.compact());
                        }
                    }
                } catch (Throwable t) {
                    trouble.set(t);
                }
            });
            try {
                for (int pass = 0; pass < 3; pass++) {
                    Set<Integer> seen = new HashSet<>();
                    engine.scanRange(start, end, r -> {
                        int i = indexOf(r.key());
                        assertThat(seen.add(i)).as("key %d twice", i).isTrue();
                        assertThat(r.value()).isEqualTo(value(i));
                    });
                    assertThat(seen).isEqualTo(inRange);
                }
                long dropped = join(engine.dropRange(start, end));
                assertThat(dropped).isEqualTo(inRange.size());
                engine.scanRange(start, end, r -> {
                    throw new AssertionError("dropped key still there: " + new String(r.key()));
                });
            } finally {
                stop.set(true);
                writer.join(30_000);
            }
            assertThat(trouble.get()).isNull();
            assertThat(engine.keys()).isEqualTo(KEYS - inRange.size());
        }
        try (LogEngine engine = LogEngine.open(Engines.small(dir).segmentBytes(16 << 10).build())) {
            assertThat(engine.keys()).as("the drop is durable").isEqualTo(KEYS - inRange.size());
            for (int i = 0; i < KEYS; i++) {
                var v = engine.get(key(i));
                if (inRange.contains(i)) {
                    assertThat(v).isNull();
                } else {
                    assertThat(v.value()).isEqualTo(value(i));
                }
            }
            long wholeRing = join(engine.dropRange(5, 5));
            assertThat(wholeRing).isEqualTo(KEYS - inRange.size());
            assertThat(engine.keys()).isZero();
        }
    }

    @Test
    void intervalsSplitWrappingRanges() {
        assertThat(RangeOps.intervals(3, 3)).containsExactly(new long[] {0, -1});
        assertThat(RangeOps.intervals(3, 9)).containsExactly(new long[] {4, 9});
        assertThat(RangeOps.intervals(9, 3)).containsExactly(new long[] {10, -1}, new long[] {0, 3});
        assertThat(RangeOps.intervals(-1, 3)).containsExactly(new long[] {0, 3});
        assertThat(RangeOps.intervals(3, -1)).containsExactly(new long[] {4, -1});
    }
}
